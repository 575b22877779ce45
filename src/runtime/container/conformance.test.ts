/** The kit against the container driver: the local runtime's replicas as containers of the test image (Podman). */
import { localConformance } from '../local/testdata/conformance/testing.js';

localConformance('local, containers', 'container');
