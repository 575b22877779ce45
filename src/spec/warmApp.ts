/**
 * A built-in sample app that warms the render path: rendered before the offline render's startup
 * snapshot is written (scripts/bundleCli.mjs) and by a control plane just started, in the background
 * (server/renderWarmup.ts), so the code of a render has run before a user's first render. It should use
 * every part of a spec a team writes: services, jobs and cron jobs, stateful and per-node services,
 * autoscaling, probes, resources, named ports, variables with defaults and secrets, discovery
 * addresses, files, dependencies and routes, in block and flow style. Its own names and shape: it is
 * not the benchmark's app (bench/render.mjs), and never a user's data.
 */

/** The text of a berth.yaml of `n` services. */
export function warmAppText(n = 60): string {
  const name = (i: number): string => `part-${i % n}`;
  const out = [
    'name: warm',
    'variables:',
    '  VERSION: "7.2"',
    '  MODE: { default: steady, description: How every part runs. }',
    '  TOKEN: { secret: true, default: warm-only }',
    'services:',
  ];
  for (let i = 0; i < n; i++) {
    out.push(`  ${name(i)}:`, `    image: registry.example/warm/${name(i)}:\${VERSION}`);
    if (i % 17 === 5) out.push('    kind: job', '    backoffLimit: 2');
    else if (i % 19 === 6) out.push('    kind: cronjob', "    schedule: '*/15 * * * *'");
    else {
      out.push(
        i % 2 ? '    ports: [8080, { name: admin, port: 9090 }]' : '    ports:\n      - name: http\n        port: 8080',
        `    replicas: ${1 + (i % 4)}`,
        '    health:',
        `      readiness: { http: { path: /ready }, period: ${1 + (i % 3)}s }`,
        i % 3 ? '      liveness: { tcp: {} }' : '      liveness: { http: { path: /live }, period: 10s }',
      );
      if (i % 11 === 2) out.push('    stateful: true');
      else if (i % 13 === 4) out.push('    placement: perNode');
      else if (i % 7 === 3) out.push('    autoscale: { min: 1, max: 6, cpu: 65% }');
      if (i > 0 && i % 5 === 0) out.push(`    dependsOn: [${name(i - 1)}]`);
      out.push('    terminationGracePeriod: 15s');
    }
    out.push(
      i % 2
        ? '    resources: { requests: { cpu: 250m, memory: 64Mi }, limits: { cpu: "1", memory: 1Gi } }'
        : '    resources:\n      requests: { cpu: 50m, memory: 32Mi }',
      '    env:',
      '      MODE: ${MODE}',
      `      PEER: "\${${name(i + 3)
        .toUpperCase()
        .replaceAll('-', '_')}_URL:-none}/v1"`,
      `      NUMBER: "${i}"`,
    );
    if (i % 3 === 1) out.push('      TOKEN: ${TOKEN}');
    out.push('    files:', `      - { path: conf/${name(i)}.ini, content: "mode=\${MODE}\\nversion=\${VERSION}\\n" }`);
  }
  out.push('routes:');
  for (let i = 0; i < 6; i++) out.push(`  - { path: /p${i}, service: ${name(i * 4)} }`);
  return `${out.join('\n')}\n`;
}
