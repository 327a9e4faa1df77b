import type { System } from '../http/errors.js';
import type { Config, Secrets } from './schema.js';

export interface RuleContext {
  /** The outside systems the command will talk to. */
  needsCredentials: readonly System[];
}

export interface RuleResult {
  errors: string[];
  warnings: string[];
}

type Rule = (config: Config, secrets: Secrets, ctx: RuleContext) => Partial<RuleResult> | void;

/**
 * Checks the schema cannot express: each rule names the setting it is about by dot path.
 * A rule must never put a secret's value into a message.
 */
const rules: Rule[] = [
  function credentialsPresent(_c, secrets, ctx) {
    const missing = (
      [
        ['yotpo', 'YOTPO_GUID', secrets.yotpoGuid],
        ['yotpo', 'YOTPO_API_KEY', secrets.yotpoApiKey],
        ['rivo', 'RIVO_API_KEY', secrets.rivoApiKey],
      ] as const
    )
      .filter(([system, , v]) => ctx.needsCredentials.includes(system) && v === null)
      .map(([, name, v]) => [name, v] as const)
      .map(([name]) => `${name}: not set (put it in the environment or in .env; it is never accepted as a flag)`);
    return { errors: missing };
  },
  function credentialsWellFormed(_c, secrets) {
    const errors: string[] = [];
    for (const [name, value] of [
      ['YOTPO_GUID', secrets.yotpoGuid],
      ['YOTPO_API_KEY', secrets.yotpoApiKey],
      ['RIVO_API_KEY', secrets.rivoApiKey],
    ] as const) {
      if (value === null) continue;
      if (/\s/.test(value)) errors.push(`${name}: contains white space (a copy-paste error?)`);
      if (/^bearer\b/i.test(value)) errors.push(`${name}: starts with "Bearer"; give the raw key only (Rivo answers 401 to a Bearer prefix)`);
      if (!/^[\x21-\x7e]+$/.test(value.trim())) errors.push(`${name}: contains characters that cannot be sent in an HTTP header`);
    }
    return { errors };
  },
  function tierMapTargets(config) {
    const errors = Object.entries(config.mapping.tierMap)
      .filter(([, v]) => v === '')
      .map(([k]) => `mapping.tierMap.${k}: empty target tier name`);
    return { errors };
  },
  function insecureUrls(config) {
    const warnings: string[] = [];
    for (const [path, value] of [
      ['yotpo.baseUrl', config.yotpo.baseUrl],
      ['rivo.baseUrl', config.rivo.baseUrl],
    ] as const) {
      const host = new URL(value).hostname;
      const loopback = host === 'localhost' || host.startsWith('127.') || host === '[::1]';
      if (value.startsWith('http://') && !loopback) warnings.push(`${path}: plain http to ${host} sends your API keys unencrypted`);
    }
    return { warnings };
  },
  function setModeLifetime(config) {
    if (config.mapping.mode === 'set' && config.mapping.strategy === 'lifetime')
      return {
        warnings: ['mapping.mode: "set" aims at the Yotpo balance regardless of Rivo points; lifetime is still carried from Yotpo'],
      };
  },
  // A replay raises lifetime by every earning it replays: under strategy "balance" (lifetime grows by the balance
  // only) nearly every history would exceed that and fall back, so the combination is said up front.
  function historyNeedsLifetime(config) {
    if (config.mapping.history && config.mapping.strategy === 'balance' && !config.mapping.negativeEventsLowerLifetime)
      return {
        warnings: [
          'mapping.history: with mapping.strategy "balance" a replayed history would raise lifetime above the balance, so most customers will get the balance-only events (the plan says which); use strategy "lifetime" to replay histories',
        ],
      };
  },
];

export function checkRules(config: Config, secrets: Secrets, ctx: RuleContext): RuleResult {
  const out: RuleResult = { errors: [], warnings: [] };
  for (const rule of rules) {
    const r = rule(config, secrets, ctx);
    if (!r) continue;
    out.errors.push(...(r.errors ?? []));
    out.warnings.push(...(r.warnings ?? []));
  }
  return out;
}
