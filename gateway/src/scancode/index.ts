// 扫码监管 (issue 17): an unguessable, rotatable code and QR per site; the public site page's
// complaints (吹哨人) becoming COMPLAINT events; the enterprise's confirmation of a visit.
export { createSiteCodes, type SiteCodes, type SiteCode, type CodeLookup } from './codes.js';
export { COMPLAINT_CATEGORIES, CATEGORY_ZH, complaintSchema, MAX_COMPLAINT_PICTURES, PUBLIC_STATES, type Complaint, type ComplaintInput, type ComplaintCategory } from './complaints.js';
export { windowLimiter, type WindowLimiter } from './limits.js';
export { qrPng, qrSvg } from './qr.js';
export { randomBase32, spokenCode, normaliseSpoken, SITE_CODE_PATTERN, TRACKING_PATTERN } from './random.js';
export { COMPLAINT_DEVICE, createScanCode, referredRaise, ScanCodeError, type ScanCode, type ScanCodeDeps, type ScanSite, type TrackedState } from './service.js';
