import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { otlpExportConfig, parseOtlpHeaders } from './otlpConfig.js';

function problem(env: Record<string, string>): string {
  try {
    otlpExportConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).describe();
  }
  throw new Error('no error');
}

describe('OTLP export configuration (the standard OTEL_* variables)', () => {
  it('is off without an endpoint, and with OTEL_TRACES_EXPORTER=none', () => {
    expect(otlpExportConfig({})).toBeUndefined();
    expect(
      otlpExportConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
    ).toBeUndefined();
  });

  it('appends v1/traces to the generic endpoint and takes the traces endpoint as it is', () => {
    expect(otlpExportConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      timeoutMs: 10_000,
      maxQueue: 20_000,
      maxBatch: 512,
      delayMs: 5000,
    });
    expect(otlpExportConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base/' })?.url).toBe(
      'https://otel.example/base/v1/traces',
    );
    expect(
      otlpExportConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/otlp/spans',
      })?.url,
    ).toBe('http://tempo:4318/otlp/spans');
  });

  it('reads protocol, headers (the signal ones win), timeout and the batch settings', () => {
    const c = otlpExportConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20dXNlcg==,x-tenant=red',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=blue',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    expect(c).toMatchObject({
      protocol: 'http/json',
      headers: { authorization: 'Basic dXNlcg==', 'x-tenant': 'blue' },
      timeoutMs: 3000,
      maxQueue: 100,
      maxBatch: 50,
      delayMs: 200,
    });
    // Header names are own keys: __proto__ is a header like any other, not the object's prototype.
    const h = parseOtlpHeaders('X', '__proto__=1');
    expect(Object.hasOwn(h, '__proto__')).toBe(true);
  });

  it('refuses wrong values naming the variable', () => {
    expect(problem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(
      /OTEL_EXPORTER_OTLP_ENDPOINT.*not an http:\/\/ or https:\/\/ URL/s,
    );
    expect(problem({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).toMatch(
      /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.*is not a URL/s,
    );
    expect(problem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(
      /OTEL_EXPORTER_OTLP_PROTOCOL.*"grpc" is not supported: http\/protobuf \(the default\) or http\/json/s,
    );
    expect(problem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toMatch(
      /OTEL_EXPORTER_OTLP_HEADERS.*"novalue" is not key=value/s,
    );
    expect(problem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TIMEOUT: '10s' })).toMatch(
      /OTEL_EXPORTER_OTLP_TIMEOUT.*"10s" is not a whole number/s,
    );
    expect(problem({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '30000' })).toMatch(
      /OTEL_BSP_MAX_EXPORT_BATCH_SIZE.*more than OTEL_BSP_MAX_QUEUE_SIZE/s,
    );
    expect(problem({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatch(/OTEL_TRACES_EXPORTER.*otlp or none/s);
  });
});
