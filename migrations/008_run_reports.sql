-- Reserved for this round's work (filled in by the issue that needs it).
SELECT 1;
