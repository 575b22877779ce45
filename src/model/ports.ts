/**
 * The ports a service declares and what each speaks. Part of the shared model (dependency-free).
 */

/** What a port speaks (Kubernetes' `appProtocol`): `http` and `grpc` carry requests, `tcp` opaque connections. */
export const APP_PROTOCOLS = ['http', 'grpc', 'tcp'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

/** The `appProtocol` of the `index`th port when berth.yaml sets none: http for the first TCP port, tcp for others. */
export function defaultAppProtocol(index: number, protocol: 'TCP' | 'UDP'): AppProtocol | undefined {
  return protocol === 'UDP' ? undefined : index === 0 ? 'http' : 'tcp';
}

/** A port of a service. */
export interface WorkloadPort {
  /** Kubernetes port name: `http` for the first port unless named, `port-<number>` for others. */
  name: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Absent on UDP ports; `http` for the first TCP port unless set, `tcp` for the others. */
  appProtocol?: AppProtocol;
}
