// Two reviewers vet an organization in kakuin's reviewer UI in headless Chromium: a
// reviewer verifies it (CP 3.2.2 step 1), an approver approves it (step 2). Used by
// ../test_ov_clients.sh while an ACME client waits for its held order. Environment:
//   KK_UI_BASE https://127.0.0.1:PORT, KK_UI_ORG the organization id,
//   KK_UI_A, KK_UI_A_PASS the reviewer; KK_UI_B, KK_UI_B_PASS the approver.
// Prints PASS:/FAIL: lines and "N passed, N failed"; exits 1 on any failure.
import { check, finish, launch, login, submit, text } from './browser.mjs';

const E = process.env;
const BASE = E.KK_UI_BASE, ORG = E.KK_UI_ORG;

async function step(page, who, pass, form, want) {
	const resp = await login(page, BASE, who, pass);
	check(resp.status() === 200, `${who} logs in to the reviewer UI`, resp.status());
	await page.goto(`${BASE}/org/${ORG}`);
	await page.type(`form#${form} input[name=note]`, `${form} in the browser`);
	await submit(page, `form#${form}`);
	const got = (await text(page, want)) || '';
	check(got.startsWith(who), `${who} did "${form}" on organization ${ORG}`, got);
	await submit(page, 'form[action="/logout"]');
}

const browser = await launch();
try {
	const page = await browser.newPage();
	await step(page, E.KK_UI_A, E.KK_UI_A_PASS, 'verify', '#verified_by');
	await step(page, E.KK_UI_B, E.KK_UI_B_PASS, 'approve', '#approved_by');
	await page.goto(`${BASE}/login`);
	await login(page, BASE, E.KK_UI_A, E.KK_UI_A_PASS);
	await page.goto(`${BASE}/org/${ORG}`);
	check((await text(page, '#status')) === 'approved', `organization ${ORG} is approved`);
} catch (e) {
	check(false, 'browser run', e.message);
} finally {
	await browser.close();
}
finish();
