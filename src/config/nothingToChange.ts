/**
 * The message of the error a config change that changes nothing gets. `berth config set` reports
 * it as "unchanged" and exits 0; in a file of its own so the CLI bundle does not pull in the store.
 */
export const NOTHING_TO_CHANGE = 'nothing to change';
