// The subset of TensorBoard's protos that event files need (tensorboard/compat/proto: event.proto,
// summary.proto, tensor.proto, tensor_shape.proto, types.proto, graph.proto, node_def.proto,
// versions.proto; all proto3), as a protobufjs reflection Root. Field numbers follow those files;
// field names are the camelCase forms protobufjs uses.
import * as protobuf from 'protobufjs';

/** types.proto DataType codes used by summaries. */
export const DataType = Object.freeze({ DT_FLOAT: 1, DT_DOUBLE: 2, DT_INT32: 3, DT_STRING: 7 } as const);

/** summary.proto DataClass: what shape and dtype a time series' tensors have. */
export const DataClass = Object.freeze({ UNKNOWN: 0, SCALAR: 1, TENSOR: 2, BLOB_SEQUENCE: 3 } as const);

/** The file_version string every event file starts with. */
export const FILE_VERSION = 'brain.Event:2';

const packed = { packed: true };

const schema: protobuf.INamespace = {
  nested: {
    tensorboard: {
      nested: {
        Event: {
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            graphDef: { type: 'bytes', id: 4 },
            summary: { type: 'Summary', id: 5 },
            sourceMetadata: { type: 'SourceMetadata', id: 10 },
          },
        },
        SourceMetadata: { fields: { writer: { type: 'string', id: 1 } } },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                tensor: { type: 'TensorProto', id: 8 },
                metadata: { type: 'SummaryMetadata', id: 9 },
              },
            },
          },
        },
        SummaryMetadata: {
          fields: {
            pluginData: { type: 'PluginData', id: 1 },
            displayName: { type: 'string', id: 2 },
            summaryDescription: { type: 'string', id: 3 },
            dataClass: { type: 'int32', id: 4 },
          },
          nested: {
            PluginData: {
              fields: {
                pluginName: { type: 'string', id: 1 },
                content: { type: 'bytes', id: 2 },
              },
            },
          },
        },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            floatVal: { rule: 'repeated', type: 'float', id: 5, options: packed },
            doubleVal: { rule: 'repeated', type: 'double', id: 6, options: packed },
            stringVal: { rule: 'repeated', type: 'bytes', id: 8 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 } },
          nested: {
            Dim: {
              fields: {
                size: { type: 'int64', id: 1 },
                name: { type: 'string', id: 2 },
              },
            },
          },
        },
        GraphDef: {
          fields: {
            node: { rule: 'repeated', type: 'NodeDef', id: 1 },
            versions: { type: 'VersionDef', id: 4 },
          },
        },
        NodeDef: {
          fields: {
            name: { type: 'string', id: 1 },
            op: { type: 'string', id: 2 },
            input: { rule: 'repeated', type: 'string', id: 3 },
            device: { type: 'string', id: 4 },
          },
        },
        VersionDef: { fields: { producer: { type: 'int32', id: 1 } } },
      },
    },
  },
};

/** A TensorProto as a plain object: dtype code, dims, and the one value list its dtype uses. */
export interface TensorProtoObject {
  dtype: number;
  tensorShape: { dim: { size: number }[] };
  floatVal?: number[];
  doubleVal?: number[];
  stringVal?: Uint8Array[];
}

/** One Summary.Value: a tag, its plugin metadata and a tensor. */
export interface SummaryValueObject {
  tag: string;
  metadata?: { pluginData: { pluginName: string; content?: Uint8Array }; dataClass?: number; summaryDescription?: string };
  tensor: TensorProtoObject;
}

/** An Event as a plain object; exactly one of fileVersion, graphDef or summary is set. */
export interface EventObject {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  graphDef?: Uint8Array;
  summary?: { value: SummaryValueObject[] };
  sourceMetadata?: { writer: string };
}

/** A GraphDef as a plain object: one NodeDef per node, inputs by node name. */
export interface GraphDefObject {
  node: { name: string; op: string; input?: string[] }[];
  versions?: { producer: number };
}

let root: protobuf.Root | null = null;
function lookup(name: string): protobuf.Type {
  root ??= protobuf.Root.fromJSON(schema);
  return root.lookupType(`tensorboard.${name}`);
}

/** Serializes an Event (throws on an object the schema rejects). */
export function encodeEvent(event: EventObject): Uint8Array {
  const Event = lookup('Event');
  return Event.encode(Event.fromObject(event as unknown as Record<string, unknown>)).finish();
}

/** Serializes a GraphDef, for the Event's graph_def field. */
export function encodeGraphDef(graph: GraphDefObject): Uint8Array {
  const GraphDef = lookup('GraphDef');
  return GraphDef.encode(GraphDef.fromObject(graph as unknown as Record<string, unknown>)).finish();
}
