/**
 * The names of preview environments: a branch made a key (a DNS label), and the environment
 * `<template>-<key>`, shortened with a hash suffix when longer than an environment's name may be (32).
 */
import { createHash } from 'node:crypto';
import { DNS_LABEL } from '../model/names.js';

/** The longest environment name (environments.ts `EnvironmentInput.name`). */
export const ENV_NAME_MAX = 32;
/** The longest key: a DNS label. */
export const KEY_MAX = 63;

const hash = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length);

/** Cuts `text` to `max` characters ending in a letter or digit, then `-` and a hash of `whole`. */
function shortened(text: string, whole: string, max: number): string {
  const suffix = hash(whole, 6);
  const head = text.slice(0, max - suffix.length - 1).replace(/-+$/, '');
  return head === '' ? suffix : `${head}-${suffix}`;
}

/** Whether `key` may name a preview: a DNS label of at most 63 characters. */
export const isPreviewKey = (key: string): boolean => key.length <= KEY_MAX && DNS_LABEL.test(key);

/**
 * A branch's key: lowercase, every run of other characters than letters and digits one `-`, no `-` at
 * either end (`feature/Login_Page` → `feature-login-page`); longer than 63 characters, or with nothing
 * left, it ends in a hash of the branch so two branches keep two keys.
 */
export function branchKey(branch: string): string {
  const label = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (label === '') return `branch-${hash(branch, 8)}`;
  return label.length <= KEY_MAX ? label : shortened(label, branch, KEY_MAX);
}

/** The key of a pull (merge) request. */
export const pullRequestKey = (n: number): string => `pr-${n}`;

/** The preview environment of `key` made from `template`: `<template>-<key>`, at most 32 characters. */
export function previewEnvName(template: string, key: string): string {
  const name = `${template}-${key}`;
  return name.length <= ENV_NAME_MAX ? name : shortened(name, name, ENV_NAME_MAX);
}
