/** The schema of a DNS-label name (app, environment, namespace), for API parameters and environment files. */
import { z } from 'zod';
import { DNS_LABEL } from '../model/names.js';

/** A string that must be a DNS label; `rule` is the problem's message when it is not. */
export function dnsLabel(rule = 'lowercase letters, digits and -'): z.ZodString {
  return z.string().regex(DNS_LABEL, rule);
}
