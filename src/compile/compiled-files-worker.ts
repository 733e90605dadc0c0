/**
 * The worker thread of CompiledFiles: writes the batches it is sent and, asked to flush, answers with the first failure
 * (or null).
 */
import { parentPort } from 'node:worker_threads';
import { writeFiles, type FileFailure, type FileToWrite } from './write-files.js';

const createdFolders = new Set<string>();
let failure: FileFailure | undefined;

parentPort!.on('message', (message: FileToWrite[] | 'flush') => {
  if (message === 'flush') parentPort!.postMessage(failure ?? null);
  else if (!failure) failure = writeFiles(message, createdFolders);
});
