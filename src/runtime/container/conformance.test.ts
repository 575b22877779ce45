/** The kit against the container driver: the local runtime's replicas as containers of the test image, on Podman and on Docker. */
import { localConformance } from '../local/testdata/conformance/testing.js';

localConformance('local, containers', 'container');
localConformance('local, containers on Docker', 'container', 'node', 'dockerSocket');
