/**
 * A stable colour per user, so an avatar and a cursor of the same person match everywhere. Colours that
 * come from peers (awareness states) are only ever used when they are exactly `#rrggbb`: anything else is
 * a string someone could smuggle CSS into (`red;background:url(...)`).
 */
export const SAFE_COLOR = /^#[0-9a-fA-F]{6}$/;

const PALETTE = ['#4f46e5', '#0891b2', '#059669', '#d97706', '#dc2626', '#7c3aed', '#db2777', '#2563eb', '#65a30d', '#ea580c', '#0d9488', '#9333ea'];

export function colorFor(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/** The colour if it is a plain `#rrggbb`, else the user's own colour. */
export function safeColor(color: unknown, userId: string): string {
  return typeof color === 'string' && SAFE_COLOR.test(color) ? color : colorFor(userId);
}

/** The translucent selection colour y-codemirror draws: the colour at 20 % alpha (`#rrggbb33`). */
export const lightColor = (color: string): string => color + '33';
