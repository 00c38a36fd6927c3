// End-to-end test of kakuin's reviewer web UI in headless Chromium: a reviewer verifies
// an organization (CP 3.2.2 step 1), cannot approve it, an approver approves it (step 2),
// the two-person rule holds in the browser too, hostile names render as text, and a
// wrong password gets 401. Run by ../test_review_ui.sh, which starts kakuin, creates the
// reviewers and organizations with the CLI and passes them in the environment:
//   KK_UI_BASE      https://127.0.0.1:PORT (the --review-listen address)
//   KK_UI_ORG       an organization in review with evidence (verified then approved here)
//   KK_UI_ORG2      another one (the approver verifies it and may then not approve it)
//   KK_UI_XSS       one whose name is <script>alert(1)</script>...
//   KK_UI_A, KK_UI_A_PASS  a reviewer; KK_UI_B, KK_UI_B_PASS  an approver
// Prints PASS:/FAIL: lines and "N passed, N failed"; exits 1 on any failure.
import { check, exists, finish, launch, login as loginAt, submit, text } from './browser.mjs';

const env = (k) => {
	if (!process.env[k]) {
		console.log(`FAIL: ${k} not set`);
		process.exit(1);
	}
	return process.env[k];
};
const BASE = env('KK_UI_BASE');
const ORG = env('KK_UI_ORG'), ORG2 = env('KK_UI_ORG2'), XSS = env('KK_UI_XSS');
const A = env('KK_UI_A'), A_PASS = env('KK_UI_A_PASS');
const B = env('KK_UI_B'), B_PASS = env('KK_UI_B_PASS');


const login = (page, name, pass) => loginAt(page, BASE, name, pass);

async function logout(page) {
	const resp = await submit(page, 'form[action="/logout"]');
	check(new URL(page.url()).pathname === '/login', 'log out ends on the login page',
	    page.url());
	const again = await page.goto(`${BASE}/org/${ORG}`);
	check(new URL(page.url()).pathname === '/login' && again.status() === 200,
	    'after log out an organization page redirects to the login page', page.url());
	return resp;
}

// Posts an action the page does not offer (as a hand-made form with the page's own
// CSRF token): the server must refuse it whatever the buttons show.
async function forcePost(page, action, fields) {
	const [resp] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.evaluate((action, fields) => {
			const f = document.createElement('form');
			f.method = 'post';
			f.action = action;
			const add = (n, v) => {
				const i = document.createElement('input');
				i.type = 'hidden';
				i.name = n;
				i.value = v;
				f.appendChild(i);
			};
			add('csrf', document.querySelector('input[name=csrf]').value);
			for (const [n, v] of Object.entries(fields))
				add(n, v);
			document.body.appendChild(f);
			f.submit();
		}, action, fields),
	]);
	return resp;
}

async function reviewerVerifies(page) {
	let resp = await page.goto(`${BASE}/`);
	check(new URL(page.url()).pathname === '/login',
	    'without a session the queue redirects to the login page', page.url());
	resp = await login(page, A, A_PASS);
	check(resp.status() === 200 && new URL(page.url()).pathname === '/',
	    `reviewer ${A} logs in and sees the queue`, `${resp.status()} ${page.url()}`);
	const cookies = await page.cookies();
	const c = cookies.find((k) => k.name === 'kk_session');
	check(c && c.httpOnly && c.secure && c.sameSite === 'Strict',
	    'session cookie is HttpOnly, Secure, SameSite=Strict', JSON.stringify(c));
	check(Number(await text(page, '#count-in_review')) >= 2 &&
	    (await exists(page, `#in_review a[href="/org/${ORG}"]`)),
	    'queue counts and lists the organizations in review');
	await page.goto(`${BASE}/org/${ORG}`);
	check((await text(page, '#status')) === 'in_review', 'organization is in review',
	    await text(page, '#status'));
	check(await exists(page, '#evidence tr:nth-child(2)'), 'evidence is listed');
	check(!(await exists(page, 'form#approve')),
	    'no approve button for the reviewer role');
	await page.type('form#verify input[name=note]', 'registry record checked');
	resp = await submit(page, 'form#verify');
	const vb = (await text(page, '#verified_by')) || '';
	check(resp.status() === 200 && vb.startsWith(A), `${A} verified the organization`,
	    `${resp.status()} verified_by=${vb}`);
	check(((await text(page, '#audit')) || '').includes(A),
	    'audit trail names the verifier');
	resp = await forcePost(page, `/org/${ORG}/approve`, { note: 'self-approval' });
	const err = (await text(page, '#error')) || '';
	check(resp.status() === 403 && err.length > 0,
	    `approve as ${A} is refused and the reason is shown`, `${resp.status()} "${err}"`);
	console.log(`     (refusal shown: ${err})`);
	await page.goto(`${BASE}/org/${ORG}`);
	check((await text(page, '#status')) === 'in_review',
	    'organization still in review after the refused approval');
	await logout(page);
}

async function approverApproves(page) {
	let resp = await login(page, B, B_PASS);
	check(resp.status() === 200, `approver ${B} logs in`);
	await page.goto(`${BASE}/org/${ORG}`);
	check(await exists(page, 'form#approve'), 'approver sees the approve button');
	await page.type('form#approve input[name=note]', 'second review done');
	resp = await submit(page, 'form#approve');
	const st = await text(page, '#status');
	const vb = (await text(page, '#verified_by')) || '';
	const ab = (await text(page, '#approved_by')) || '';
	check(resp.status() === 200 && st === 'approved', 'organization approved', st);
	check(vb.startsWith(A) && ab.startsWith(B),
	    `page shows both people: verified by ${A}, approved by ${B}`, `${vb} / ${ab}`);
	// two-person rule in the browser: B verifies ORG2, then B's approval is refused
	await page.goto(`${BASE}/org/${ORG2}`);
	await submit(page, 'form#verify');
	check(((await text(page, '#verified_by')) || '').startsWith(B),
	    `${B} verified the second organization`);
	resp = await submit(page, 'form#approve');
	const err = (await text(page, '#error')) || '';
	check(resp.status() === 403 && err.length > 0 &&
	    (await text(page, '#status')) === 'in_review',
	    'two-person rule: the verifier may not approve, the reason is shown',
	    `${resp.status()} "${err}"`);
	console.log(`     (refusal shown: ${err})`);
}

async function hostileName(page) {
	let dialogs = 0;
	page.on('dialog', async (d) => {
		dialogs++;
		await d.dismiss();
	});
	await page.goto(`${BASE}/org/${XSS}`);
	const scripts = await page.$$eval('script', (s) => s.length);
	const h1 = (await text(page, 'h1')) || '';
	check(scripts === 0 && h1.includes('<script>alert(1)</script>') && dialogs === 0,
	    'a name with <script> renders as text (no script element, no dialog)',
	    `scripts=${scripts} h1=${h1}`);
	await page.goto(`${BASE}/search?q=${encodeURIComponent('<script>')}`);
	const found = await page.$$eval('#results a', (a) => a.map((x) => x.textContent));
	check(found.some((t) => t.includes('<script>alert(1)</script>')) &&
	    (await page.$$eval('script', (s) => s.length)) === 0,
	    'search finds it and shows it as text', JSON.stringify(found));
}

async function createOrg(page) {
	await page.goto(`${BASE}/org/new`);
	await page.type('form#org-new input[name=name]', 'UI Test "Quotes" & Co.');
	await page.type('form#org-new input[name=locality]', 'Chiyoda-ku');
	await page.type('form#org-new input[name=state]', 'Tokyo');
	const resp = await submit(page, 'form#org-new');
	check(resp.status() === 200 && /\/org\/\d+$/.test(page.url()) &&
	    (await text(page, 'h1')) === 'UI Test "Quotes" & Co.' &&
	    (await text(page, '#status')) === 'submitted',
	    'a new organization created in the browser is submitted', page.url());
}

async function wrongPassword(page) {
	const resp = await login(page, A, 'not-the-password');
	check(resp.status() === 401 && ((await text(page, '#error')) || '').length > 0 &&
	    new URL(page.url()).pathname === '/login',
	    'a wrong password gets 401 and the login form again', `${resp.status()}`);
}

const browser = await launch();
try {
	const ctx = await browser.createBrowserContext();
	const page = await ctx.newPage();
	page.setDefaultTimeout(15000);
	await reviewerVerifies(page);
	await approverApproves(page);
	await hostileName(page);
	await createOrg(page);
	await logout(page);
	await wrongPassword(page);
} catch (e) {
	check(false, 'browser run', e.stack || String(e));
} finally {
	await browser.close();
}
finish();
