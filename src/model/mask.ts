/** What a secret value looks like wherever Berth shows or stores it masked (API, CLI, revisions, manifests). */

/** The mask that stands for a secret value. */
export const MASK = '******';
