import { runtimeConformance } from '../testing.js';
import { startHarness, testState } from './testing/harness.js';

// Runtime.addresses() gets service names only, so before a Service exists the runtime assumes
// port 80 (DEFAULT_SERVICE_PORT); the states here listen on 80 so the address is the same before
// and after the first deploy (see docs/kubernetes.md, "Service addresses").
runtimeConformance('kubernetes', async () => {
  const h = await startHarness();
  const first = h.open();
  let last = first;
  return {
    runtime: first,
    makeState: (o) => testState(o),
    newInstance: async () => (last = h.open()),
    teardown: async () => {
      await last.remove('conform', 'test').catch(() => undefined);
      await h.close();
    },
  };
});
