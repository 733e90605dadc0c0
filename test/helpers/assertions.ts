import assert from 'node:assert/strict';
import { KilnError } from '../../src/errors.js';

/** Awaits a promise that must reject with a KilnError, and returns the error to inspect. */
export async function rejectsKiln(p: Promise<unknown>): Promise<KilnError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KilnError, `expected a KilnError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}
