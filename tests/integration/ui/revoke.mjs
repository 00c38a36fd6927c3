// CA-initiated revocation in kakuin's reviewer UI (CP 4.9.1, 4.9.3) in headless Chromium:
// a reviewer records a revocation request (it shows in the report with its deadline) but
// may not revoke; an approver revokes. Environment: KK_UI_BASE, KK_UI_SERIAL,
// KK_UI_A/KK_UI_A_PASS (reviewer), KK_UI_B/KK_UI_B_PASS (approver).
// Prints PASS:/FAIL: lines and "N passed, N failed"; exits 1 on any failure.
import { check, finish, launch, login, submit, text } from './browser.mjs';

const E = process.env;
const BASE = E.KK_UI_BASE, SERIAL = E.KK_UI_SERIAL;

async function fill(page, form, reason, detail) {
	await page.goto(`${BASE}/revocations`);
	await page.type(`form#${form} input[name=serial]`, SERIAL);
	await page.select(`form#${form} select[name=reason]`, reason);
	await page.type(`form#${form} input[name=detail]`, detail);
	return submit(page, `form#${form}`);
}

const browser = await launch();
try {
	const page = await browser.newPage();
	await login(page, BASE, E.KK_UI_A, E.KK_UI_A_PASS);
	let resp = await fill(page, 'request', 'keyCompromise', 'key seen on a public site');
	const rows = (await text(page, '#revreqs')) || '';
	check(resp.status() === 200 && rows.includes(SERIAL) && rows.includes('24h'),
	    'a reviewer records a keyCompromise request: listed with its 24 h deadline',
	    `${resp.status()} ${rows.slice(0, 200)}`);
	resp = await fill(page, 'revoke', 'keyCompromise', 'revoking as a reviewer');
	check(resp.status() === 403 && ((await text(page, '#error')) || '').length > 0,
	    'a reviewer may not revoke (403, reason shown)', resp.status());
	await submit(page, 'form[action="/logout"]');
	await login(page, BASE, E.KK_UI_B, E.KK_UI_B_PASS);
	resp = await fill(page, 'revoke', 'keyCompromise', 'confirmed: key published');
	check(resp.status() === 200 && !((await text(page, '#revreqs')) || '').includes(SERIAL),
	    'an approver revokes; the request is closed', resp.status());
} catch (e) {
	check(false, 'browser run', e.message);
} finally {
	await browser.close();
}
finish();
