/**
 * The JSON Schema of berth.yaml as people write it, for editors: add
 * `# yaml-language-server: $schema=<url or path>` at the top of a berth.yaml.
 */
import { z } from 'zod';
import { appSchema } from './schema.js';

/** The `$id` of the published schema. */
export const SPEC_SCHEMA_ID = 'https://berth.dev/schemas/berth.yaml.json';

/** JSON Schema (draft 2020-12) of the input form of berth.yaml: shorthands, "10s", "64Mi" and all. */
export function specJSONSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(appSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { $schema: schema.$schema, $id: SPEC_SCHEMA_ID, title: 'berth.yaml', ...schema };
}
