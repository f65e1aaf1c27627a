export { type Callback, type Logs, type TrainingParams } from './callback';
export { callbacks, EarlyStopping, ModelCheckpoint, LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TerminateOnNaN } from './builtins';
export { TensorBoard, type TensorBoardArgs } from './tensor-board';
export { Dashboard, type DashboardArgs } from './dashboard';
