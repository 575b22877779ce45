/** Types of boundaries.js (the walls between Berth's parts, docs/architecture.md "Parts and arrows"). */
import type { ESLint } from 'eslint';

export interface Part {
  name: string;
  paths: string[];
  may: string[];
  typesOnly?: boolean;
}
export const ROOT: string;
export const PARTS: Part[];
export const DOC: string;
export function isTestFile(rel: string): boolean;
export function partOf(rel: string): Part | undefined;
export function isWalled(rel: string): boolean;
export function violation(fromRel: string, toRel: string, typeOnly: boolean): string | undefined;
export function partNames(): string[];
export const partsByName: Map<string, Part>;
export const boundariesPlugin: ESLint.Plugin;
