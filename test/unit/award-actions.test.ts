import { describe, expect, it } from 'vitest';
import { mappedActionsOf, mappingProblems, suggestRule, unmappedActionsOf } from '../../src/awards/actions.js';
import { isAwardEvent, readAwardAnswer, type EarningRule } from '../../src/rivo/awards.js';

const rule = (id: string, name: string, category = 'social', over: Partial<EarningRule> = {}): EarningRule => ({
  id,
  name,
  category,
  action: null,
  points: 50,
  active: true,
  approvalTime: 0,
  ...over,
});
const RULES = [rule('r_ig', 'Follow on Instagram'), rule('r_acc', 'Create an account', 'engagement'), rule('r_buy', 'Make a purchase', 'purchase'), rule('r_tt', 'Follow on TikTok', 'social', { active: false })];

describe('one-time actions in a Yotpo history', () => {
  const items = [
    { action: 'Create an Account', points: 100, status: 'Approved' },
    { action: 'Followed us on Instagram', action_name: 'instagram_follow', points: 50, status: 'Approved', completed_at: '2024-01-02T00:00:00Z' },
    { action: 'Create an Account', points: 100, status: 'Approved' },
    { action: 'Write a review', points: 200, status: 'Pending' },
    { action: 'Redeemed', points: -300, status: 'CODE' },
  ];

  it('a mapped, completed action once per rule, by action_name or by the text shown, in any case', () => {
    expect(mappedActionsOf(items, { 'create an account': 'r_acc', 'Followed us on Instagram': 'r_ig', 'Write a review': 'r_rev' })).toEqual([
      { action: 'create an account', ruleId: 'r_acc', completedAt: null },
      { action: 'Followed us on Instagram', ruleId: 'r_ig', completedAt: '2024-01-02T00:00:00Z' },
    ]);
    expect(mappedActionsOf(items, { INSTAGRAM_FOLLOW: 'r_ig' }).map((m) => m.ruleId)).toEqual(['r_ig']);
  });

  it('unmapped completed names, each once; a pending item or a redemption is no completed action', () => {
    expect(unmappedActionsOf(items, { instagram_follow: 'r_ig' })).toEqual(['Create an Account']);
  });

  it('suggests an awardable rule of a similar name, never a purchase rule or an inactive one', () => {
    expect(suggestRule('Follow us on Instagram', RULES)?.id).toBe('r_ig');
    expect(suggestRule('create_account', RULES)?.id).toBe('r_acc');
    expect(suggestRule('Made a purchase', RULES)).toBeNull();
    expect(suggestRule('Follow on TikTok', RULES)).toBeNull();
  });

  it('config problems name the setting: unknown rule, inactive, category not awardable', () => {
    expect(mappingProblems({ a: 'r_ig', b: 'r_x', c: 'r_buy', d: 'r_tt' }, RULES)).toEqual([
      'mapping.oneTimeActions."b": Rivo has no earning rule "r_x" (GET /earning_rules lists r_ig, r_acc, r_buy, r_tt)',
      'mapping.oneTimeActions."c": Rivo\'s earning rule r_buy ("Make a purchase") is in category purchase; only social and engagement rules can be awarded',
      'mapping.oneTimeActions."d": Rivo\'s earning rule r_tt ("Follow on TikTok") is inactive; an award would be refused',
    ]);
  });
});

describe('the award answer', () => {
  it('201 approved or pending, 409 already, 403/404/422 refused, 405 or a bare 404 no endpoint', () => {
    expect(readAwardAnswer(201, { data: { id: 'cer_1', attributes: { status: 'approved', points: 150 } } })).toEqual({ outcome: 'awarded', status: 'approved', points: 150, pointsDueAt: null, awardId: 'cer_1' });
    expect(readAwardAnswer(201, { data: { id: 'cer_2', attributes: { status: 'pending', points: 200, points_due_at: '2030-01-08T00:00:00Z' } } })).toMatchObject({ status: 'pending', pointsDueAt: '2030-01-08T00:00:00Z' });
    expect(readAwardAnswer(409, { error: 'already' })).toEqual({ outcome: 'already' });
    expect(readAwardAnswer(403, { error: 'Customer is excluded' })).toMatchObject({ outcome: 'refused', status: 403 });
    expect(readAwardAnswer(404, { error: 'Customer not found' })).toMatchObject({ outcome: 'refused', status: 404 });
    expect(readAwardAnswer(404, { error: 'Earning rule not found' })).toMatchObject({ outcome: 'refused', status: 404 });
    expect(readAwardAnswer(422, { errors: 'category' })).toMatchObject({ outcome: 'refused', status: 422 });
    expect(readAwardAnswer(404, { error: 'Not Found' })).toMatchObject({ outcome: 'no_endpoint', status: 404 });
    expect(readAwardAnswer(405, '')).toMatchObject({ outcome: 'no_endpoint', status: 405 });
  });

  it('the award event is found by the rule named in its note, not a longer rule id', () => {
    const e = (note: string, diff = 75) => ({ id: '1', customerIdentifier: null, pointsDiff: diff, creditsDiffCents: 0, internalNote: note, source: 'instagram_follow', appliedAt: null, createdAt: null, revokedAt: null });
    expect(isAwardEvent(e('Earning rule r_ig: Follow on Instagram'), 'r_ig')).toBe(true);
    expect(isAwardEvent(e('admin@shop: earning rule r_ig: Follow'), 'r_ig')).toBe(true);
    expect(isAwardEvent(e('Earning rule r_ig2: Other'), 'r_ig')).toBe(false);
    expect(isAwardEvent(e('Earning rule r_ig: Follow', -75), 'r_ig')).toBe(false);
  });
});
