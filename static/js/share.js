// Sharing a session: its viewer link and the same link as a QR code, for
// students to follow on their own devices. The encoder is vendored and
// loaded only when the dialog opens.

import { $ } from './dom.js';

export async function openShare(url) {
  const dialog = $('#share-dialog');
  const link = $('#share-link');
  link.href = url;
  link.textContent = url;
  // A loopback address reaches only this computer: say so, and how to
  // serve the room instead.
  const host = new URL(url).hostname;
  $('#share-local').hidden = !(host === 'localhost' || host === '[::1]' || host.startsWith('127.'));
  const qr = $('#qr');
  qr.textContent = '';
  try {
    const { renderSVG } = await import('../vendor/uqr.js');
    qr.innerHTML = renderSVG(url, { ecc: 'M', border: 2, pixelSize: 8 });
    const svg = qr.querySelector('svg');
    if (svg) svg.setAttribute('aria-label', `QR code of ${url}`);
  } catch {
    qr.textContent = 'the QR code could not be drawn; use the link';
  }
  showJoinCode(url);
  if (!dialog.open) dialog.showModal();
}

// showJoinCode adds the session's join code, for a room where typing a
// short code beats copying a link: six letters and digits, in two groups
// of three to read aloud.
async function showJoinCode(url) {
  const box = $('#share-join');
  box.hidden = true;
  const id = new URL(url).pathname.split('/').pop();
  try {
    const res = await fetch(`/api/sessions/${encodeURIComponent(id)}`);
    const code = res.ok ? (await res.json()).join_code : '';
    if (!code) return;
    const u = new URL(url);
    $('#share-join-host').textContent = `${u.host}/j`;
    $('#share-code').textContent = `${code.slice(0, 3)} ${code.slice(3)}`;
    box.hidden = false;
  } catch {
    // The link and the QR code are enough.
  }
}
