/**
 * The per-replica values of `files:` content (`{{ replica.port }}`, replicaValues.ts), checked when
 * berth.yaml is loaded: an unknown name or a port the service does not declare is a problem at the
 * file's `content`, with its line and column inside the content.
 */
import type { Finding } from './problems.js';
import { didYouMean } from './problems.js';
import { parseReplicaTemplate, positionIn } from './replicaValues.js';
import { normalizePorts } from './ports.js';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function portNames(ports: unknown): string[] {
  if (!Array.isArray(ports)) return [];
  return normalizePorts(ports).flatMap((p) => (p ? [p.name] : []));
}

/** Problems of the per-replica values in every service's `files[].content`. */
export function replicaValueFindings(services: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc) || !Array.isArray(svc.files)) continue;
    const ports = portNames(svc.ports);
    svc.files.forEach((f: unknown, i) => {
      if (!isMap(f) || typeof f.content !== 'string' || !f.content.includes('{{')) return;
      const content = f.content;
      const path = ['services', name, 'files', i, 'content'];
      const at = (offset: number): string => {
        const p = positionIn(content, offset);
        return ` (line ${p.line}, column ${p.column} of the content)`;
      };
      const { segments, problems } = parseReplicaTemplate(content);
      for (const p of problems) out.push({ path, message: `${p.message}${at(p.offset)}` });
      for (const s of segments) {
        if (s.kind !== 'ref' || s.ref.kind !== 'port') continue;
        const wanted = s.ref.name;
        if (ports.length === 0)
          out.push({ path, message: `\`${s.source}\`: the service declares no ports${at(s.offset)}` });
        else if (wanted !== undefined && !ports.includes(wanted))
          out.push({
            path,
            message: `\`${s.source}\`: the service has no port named \`${wanted}\`${didYouMean(wanted, ports)} (its ports: ${ports.join(', ')})${at(s.offset)}`,
          });
      }
    });
  }
  return out;
}
