// Shared by the headless-Chromium scripts: start the browser, read elements, submit forms,
// log in to kakuin's reviewer UI, count PASS/FAIL lines.
import puppeteer from 'puppeteer-core';

export function launch() {
	return puppeteer.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-proxy-server'],
		acceptInsecureCerts: true, // the listener's certificate is from kakuin's local TLS CA
	});
}

export const text = (page, sel) =>
	page.$eval(sel, (e) => e.textContent.trim()).catch(() => null);
export const exists = async (page, sel) => (await page.$(sel)) !== null;

// Submits a form by clicking its button and returns the final response (after 303s).
export async function submit(page, formSel) {
	const [resp] = await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.click(`${formSel} button`),
	]);
	return resp;
}

export async function login(page, base, name, pass) {
	await page.goto(`${base}/login`);
	await page.type('#name', name);
	await page.type('#password', pass);
	return submit(page, 'form[action="/login"]');
}

let passed = 0, failed = 0;
// One PASS:/FAIL: line; lib.sh folds the closing "N passed, N failed" into its counts.
export function check(ok, what, extra = '') {
	ok ? passed++ : failed++;
	console.log(`${ok ? 'PASS' : 'FAIL'}: ${what}${!ok && extra ? ` (${extra})` : ''}`);
}

// Prints the closing line and exits 1 on any failure.
export function finish() {
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}
