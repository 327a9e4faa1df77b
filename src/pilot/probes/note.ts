import type { RivoEvent } from '../../rivo/api.js';
import { confirmed, differs, unknown, type AssumptionResult } from '../types.js';

/**
 * `note_verbatim`: does `internal_note` come back exactly as sent? Keys are matched by *contains*, so a prefix (the
 * operator's email on admin-made events) is adapted to; a note that loses the key makes read-backs impossible.
 */
export function judgeNote(sent: string, listed: RivoEvent | undefined, key: string, listingComplete: boolean): AssumptionResult {
  if (!listed)
    return listingComplete
      ? differs({ sent, received: null }, 'none: no listed event carries the key this tool wrote', 'blocking')
      : unknown({ sent, received: null }, 'keys are matched by contains', 'attention');
  const received = listed.internalNote;
  if (received === sent) return confirmed({ sent, received }, 'keys are matched by contains');
  if (received?.includes(`[${key}]`))
    return differs({ sent, received, keyKept: true }, 'keys are matched by contains: a changed note that keeps the key is read correctly', 'adapted');
  return differs({ sent, received, keyKept: false }, 'none: the note loses the key, so events cannot be found again', 'blocking');
}
