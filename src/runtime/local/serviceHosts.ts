/**
 * Where service addresses listen besides 127.0.0.1: wherever this machine's container engine has
 * its containers reach the machine. Podman's (slirp4netns) reach the machine's loopback itself;
 * Docker's reach its bridge address (`host-gateway`), so the gateway binds the service addresses
 * there too (RoutingTable.serviceHosts) before a container service starts. Edges stay loopback.
 */
import type { GatewayControl } from '../../gateway/table.js';
import type { ContainerSupport } from './containerSupport.js';

/** Sets the gateway's service hosts to what `containers` asks for; no update when they are already so. */
export async function bindServiceHosts(
  gateway: GatewayControl,
  containers: ContainerSupport,
  gatewayReady: () => Promise<void>,
): Promise<void> {
  const hosts = [...(await containers.serviceHosts())].sort();
  await gatewayReady();
  const now = [...(gateway.table().serviceHosts ?? [])].sort();
  if (hosts.join(' ') === now.join(' ')) return;
  await gateway.update((t) => {
    if (hosts.length > 0) t.serviceHosts = hosts;
    else delete t.serviceHosts;
    t.generation++;
  });
}
