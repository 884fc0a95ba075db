export { BatchConsumer, type BatchConsumerOptions, type BatchConsumerStats } from "./batch-consumer.ts";
export { dedupToken } from "./dedup-token.ts";
export {
  JetStreamPuller,
  type PullOptions,
  type PullResult,
  parseAckSubject,
  type StreamMessage,
} from "./jetstream-puller.ts";
export {
  type StreamProcessor,
  type StreamProcessorOptions,
  type StreamProcessorStats,
  startStreamProcessor,
} from "./stream-processor.ts";
