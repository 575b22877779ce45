/**
 * The shapes of names in berth.yaml, without the schema: the CLI checks names with them at start,
 * where loading zod and the schema would cost every command its start-up time.
 */
import { DNS_LABEL } from '../model/names.js';

/** App names: a DNS label (RFC 1123) of at most 40 characters. */
export const APP_NAME = DNS_LABEL;
/** Service names start with a letter: they become Kubernetes Service names and `<NAME>_HOST` variables. */
export const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** Variable names, as in a shell. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A volume name: a DNS label (it names a directory and a PersistentVolumeClaim). */
export const VOLUME_NAME = DNS_LABEL;
/** The longest app and service name. */
export const NAME_MAX_LENGTH = 40;
