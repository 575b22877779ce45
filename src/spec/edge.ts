/** berth.yaml `edge`: where the app's edge listens on one machine (and, later, its TLS). */
import { z } from 'zod';

const tcpPort = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be a TCP port (1-65535)')
  .max(65535, 'must be a TCP port (1-65535)');

/** The `edge` section of berth.yaml. */
export const edgeSchema = z
  .strictObject({
    port: tcpPort
      .optional()
      .describe(
        "HTTP port of the app's edge on one machine, in every environment (an environment's `--edge-port APP=PORT` wins). Default: the environment's edge port, else 8080, the next free one above for later apps.",
      ),
  })
  .describe("The app's edge on one machine: its port. Clusters use the Ingress controller's ports.");

/** The `edge` section, normalised. */
export type EdgeSpec = z.output<typeof edgeSchema>;
