/**
 * The shapes the control plane's API sends, as the console uses them: the API contract module
 * (src/api/types.ts, types only, so no server code reaches the bundle) and what the console adds. The
 * console imports nothing else of src/ but the shared model (src/model/); a change on one side that
 * the other does not follow fails the typecheck instead of the page.
 */

import type { ErrorJSON } from '../../../src/api/types.js';

export type * from '../../../src/api/types.js';

/** An error answer: the server's codes, or one the console gives a failure of its own (`HTTP_502`, `INVALID_YAML`). */
export interface ErrorBody extends Omit<ErrorJSON, 'code'> {
  code: ErrorJSON['code'] | `HTTP_${number}` | 'INVALID_YAML';
}

/** What secrets look like wherever the API shows them. */
export { MASK } from '../../../src/model/mask.js';
