/**
 * The worker thread of CompiledFiles: creates the files it is told to prepare, writes the batches it is sent and,
 * asked to flush, removes the prepared files no text came for and answers with the first failure (or null) and the
 * written files' stats, two numbers a file in the order sent.
 */
import { parentPort } from 'node:worker_threads';
import {
  prepareFiles,
  removeUnwritten,
  writeFiles,
  type FileFailure,
  type FlushAnswer,
  type KnownFolders,
  type WriterMessage,
} from './write-files.js';

const folders: KnownFolders = new Map();
const prepared = new Set<string>();
const stats: number[] = [];
let failure: FileFailure | undefined;

parentPort!.on('message', (message: WriterMessage) => {
  if (message === 'flush') {
    // Removed even after a failure, which stays the one reported.
    const removal = removeUnwritten(prepared);
    failure ??= removal;
    const buffer = new ArrayBuffer(stats.length * Float64Array.BYTES_PER_ELEMENT);
    new Float64Array(buffer).set(stats);
    const answer: FlushAnswer = { failure: failure ?? null, stats: new Float64Array(buffer) };
    parentPort!.postMessage(answer, [buffer]);
  } else if (!failure)
    failure = Array.isArray(message)
      ? writeFiles(message, folders, stats, prepared)
      : prepareFiles(message.prepare, folders, prepared);
});
