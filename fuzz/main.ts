// Entry point of `npm run fuzz` (arguments: see run.ts).
import { main } from './run';

void main();
