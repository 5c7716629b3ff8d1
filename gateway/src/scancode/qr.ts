// QR codes with the `qrcode` package (pure JavaScript, no binaries at install): error
// correction M (15 %) survives a scuffed poster; four modules of quiet zone as ISO/IEC 18004 asks.
// Imported on the first poster, not at start: an idle gateway need not hold it (issue 18).

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;
const qrcode = () => import('qrcode').then((m) => m.default);

export const qrSvg = async (text: string): Promise<string> => (await qrcode()).toString(text, { ...OPTIONS, type: 'svg' });

/** A PNG of `width` pixels square (default 512: sharp on an A4 poster at about 8 cm). */
export const qrPng = async (text: string, width = 512): Promise<Buffer> => (await qrcode()).toBuffer(text, { ...OPTIONS, type: 'png', width });
