// Unified social credit code (GB 32100-2015): 18 characters, check character per GB/T 17710.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Returns null when the code is well formed with a correct check character, else the reason. */
export function checkCreditCode(code: string): string | null {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code)) {
    return 'must be 18 characters of 0-9 and A-Z without I, O, S, V, Z';
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(code[i]!) * WEIGHTS[i]!;
  const c = (31 - (sum % 31)) % 31;
  const expected = ALPHABET[c]!;
  // Pilot-era codes (early Fujian/Xiamen) are legal but fail this check: callers warn, not refuse.
  return code[17] === expected ? null : `check character is ${code[17]}, expected ${expected}`;
}
