import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { configSchema, type Config, type Secrets } from './schema.js';
import { checkRules } from './rules.js';
import type { System } from '../http/errors.js';

/** Command-line flags that override config (yargs' camel-cased names). Undefined means "not given". */
export interface ConfigFlags {
  config?: string;
  db?: string;
  out?: string;
  yotpoBaseUrl?: string;
  rivoBaseUrl?: string;
  yotpoRpm?: number;
  rivoRps?: number;
  /** `--send-mode`: validated with the rest of the config (a bad value is a config error naming it, exit 2). */
  sendMode?: string;
  limit?: number;
  redact?: boolean;
}

export interface LoadedConfig {
  config: Config;
  secrets: Secrets;
  warnings: string[];
}

export interface LoadOptions {
  flags?: ConfigFlags;
  /** The process environment; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Which outside systems this command talks to, so their credentials must be present (true: both). */
  needsCredentials?: boolean | readonly System[];
}

const SECRET_NAMES = ['YOTPO_GUID', 'YOTPO_API_KEY', 'RIVO_API_KEY'] as const;

/**
 * Builds the effective configuration: defaults < user config file < environment (.env under the real one) < flags.
 * Every problem is collected and reported at once, by dot path, as a ConfigError (exit 2) — before any request.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const env = { ...readDotenv(cwd), ...(options.env ?? process.env) };

  const defaults = readJson(join(packageRoot(), 'config', 'default.json'), 'the built-in defaults');
  let merged: unknown = defaults;
  if (flags.config) {
    const path = resolve(cwd, flags.config);
    if (!existsSync(path)) throw new ConfigError(`Config file not found: ${path}`);
    const user = readJson(path, path);
    const leaked = findSecretLikeKeys(user);
    if (leaked.length)
      throw new ConfigError(`Config file ${path} holds credentials; they belong in the environment only`, leaked.map((k) => `${k}: remove it and set YOTPO_GUID / YOTPO_API_KEY / RIVO_API_KEY instead`));
    merged = deepMerge(defaults, user);
  }
  merged = deepMerge(merged, fromEnv(env));
  merged = deepMerge(merged, fromFlags(flags));

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(
      'The configuration is not valid:',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const config = normalise(parsed.data, cwd);
  const secrets: Secrets = {
    yotpoGuid: nonEmpty(env.YOTPO_GUID),
    yotpoApiKey: nonEmpty(env.YOTPO_API_KEY),
    rivoApiKey: nonEmpty(env.RIVO_API_KEY),
  };
  const needs = options.needsCredentials ?? false;
  const systems: readonly System[] = needs === true ? ['yotpo', 'rivo'] : needs === false ? [] : needs;
  const { errors, warnings } = checkRules(config, secrets, { needsCredentials: systems });
  if (errors.length) throw new ConfigError('The configuration is not valid:', errors);
  return { config, secrets, warnings };
}

function normalise(config: Config, cwd: string): Config {
  return {
    ...config,
    db: resolve(cwd, config.db),
    out: resolve(cwd, config.out),
    yotpo: { ...config.yotpo, baseUrl: config.yotpo.baseUrl.replace(/\/+$/, '') },
    rivo: { ...config.rivo, baseUrl: config.rivo.baseUrl.replace(/\/+$/, '') },
    mapping: {
      ...config.mapping,
      // Tier names are matched case-insensitively; normalising the keys once keeps that rule in one place.
      tierMap: Object.fromEntries(Object.entries(config.mapping.tierMap).map(([k, v]) => [k.trim().toLowerCase(), v.trim()])),
    },
  };
}

function readDotenv(cwd: string): Record<string, string> {
  const path = join(cwd, '.env');
  return existsSync(path) ? parseDotenv(readFileSync(path)) : {};
}

function readJson(path: string, label: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`Cannot read ${label} as JSON: ${(err as Error).message}`);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, any> = {};
  if (env.MIGRATION_DB) out.db = env.MIGRATION_DB;
  if (env.REPORT_DIR) out.out = env.REPORT_DIR;
  if (env.YOTPO_BASE_URL) (out.yotpo ??= {}).baseUrl = env.YOTPO_BASE_URL;
  if (env.RIVO_BASE_URL) (out.rivo ??= {}).baseUrl = env.RIVO_BASE_URL;
  if (env.YOTPO_RPM) (out.yotpo ??= {}).rpm = numberOrString(env.YOTPO_RPM);
  if (env.RIVO_RPS) (out.rivo ??= {}).rps = numberOrString(env.RIVO_RPS);
  if (env.RIVO_SEND_MODE) (out.rivo ??= {}).sendMode = env.RIVO_SEND_MODE.trim();
  return out;
}

function fromFlags(flags: ConfigFlags): Record<string, unknown> {
  const out: Record<string, any> = {};
  if (flags.db !== undefined) out.db = flags.db;
  if (flags.out !== undefined) out.out = flags.out;
  if (flags.limit !== undefined) out.limit = flags.limit;
  if (flags.redact !== undefined) out.redact = flags.redact;
  if (flags.yotpoBaseUrl !== undefined) (out.yotpo ??= {}).baseUrl = flags.yotpoBaseUrl;
  if (flags.rivoBaseUrl !== undefined) (out.rivo ??= {}).baseUrl = flags.rivoBaseUrl;
  if (flags.yotpoRpm !== undefined) (out.yotpo ??= {}).rpm = flags.yotpoRpm;
  if (flags.rivoRps !== undefined) (out.rivo ??= {}).rps = flags.rivoRps;
  if (flags.sendMode !== undefined) (out.rivo ??= {}).sendMode = flags.sendMode;
  return out;
}

/** Env values are strings; a number that parses becomes a number, anything else stays a string for zod to name. */
function numberOrString(value: string): number | string {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

function nonEmpty(value: string | undefined): string | null {
  return value !== undefined && value.trim() !== '' ? value : null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) is replaced. Maps like tierMap merge too. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

function findSecretLikeKeys(value: unknown, path: string[] = []): string[] {
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const here = [...path, k];
    // Maps hold user data (tier names, emails), not settings: a key there that looks secret is just data.
    if (k === 'tierMap' || k === 'identityMap' || k === 'csvColumns') return [];
    const looksSecret = /(api[_-]?key|apikey|guid|secret|token|password)/i.test(k) || SECRET_NAMES.includes(k as never);
    return looksSecret ? [here.join('.')] : findSecretLikeKeys(v, here);
  });
}
