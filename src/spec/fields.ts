/** Small field schemas of berth.yaml that several parts of the schema share: scalars, commands, port numbers. */
import { z } from 'zod';

/** A scalar written in YAML (`8080`, `true`) used as a string value. */
export const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

/** A command: a shell string (run by /bin/sh -c) or an argv list. */
export const command = z
  .union([z.string().min(1, 'must not be empty'), z.array(z.string()).min(1, 'needs at least one item')])
  .transform((v) => (typeof v === 'string' ? ['/bin/sh', '-c', v] : v));

/** A TCP or UDP port number. */
export const portNumber = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');
