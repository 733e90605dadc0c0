/**
 * The worker thread of CompiledFiles: writes the batches it is sent and, asked to flush, answers with the first failure
 * (or null) and the written files' stats, two numbers a file in the order sent.
 */
import { parentPort } from 'node:worker_threads';
import { writeFiles, type FileFailure, type FileToWrite, type FlushAnswer, type KnownFolders } from './write-files.js';

const folders: KnownFolders = new Map();
const stats: number[] = [];
let failure: FileFailure | undefined;

parentPort!.on('message', (message: FileToWrite[] | 'flush') => {
  if (message === 'flush') {
    const buffer = new ArrayBuffer(stats.length * Float64Array.BYTES_PER_ELEMENT);
    new Float64Array(buffer).set(stats);
    const answer: FlushAnswer = { failure: failure ?? null, stats: new Float64Array(buffer) };
    parentPort!.postMessage(answer, [buffer]);
  } else if (!failure) failure = writeFiles(message, folders, stats);
});
