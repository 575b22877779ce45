/** The kit against the local runtime: replicas as processes and as containers (Podman), Node data plane. */
import { localConformance } from './testdata/conformance/testing.js';

localConformance('local', 'process');
localConformance('local, containers', 'container');
