import QRCode from 'qrcode';

// QR codes with the `qrcode` package (pure JavaScript, no binaries at install): error
// correction M (15 %) survives a scuffed poster; four modules of quiet zone as ISO/IEC 18004 asks.

const OPTIONS = { errorCorrectionLevel: 'M', margin: 4 } as const;

export const qrSvg = (text: string): Promise<string> => QRCode.toString(text, { ...OPTIONS, type: 'svg' });

/** A PNG of `width` pixels square (default 512: sharp on an A4 poster at about 8 cm). */
export const qrPng = (text: string, width = 512): Promise<Buffer> => QRCode.toBuffer(text, { ...OPTIONS, type: 'png', width });
