// What the live pages (Interpreter, Practise) show when something is in the way, and their phone
// layout while signing. Driven by the pages' own status pills (data-state), so it needs no hook in the
// camera or socket code:
// - the camera denied, missing or busy: how to allow it again in this browser (Chromium's and
//   Firefox's wording) and a button to use a photo instead;
// - the server lost: a banner over the video, and <body class="server-lost"> (the CSS greys the
//   letter) until the socket is open again;
// - <body class="camera-on"> while the camera runs, for the phone layout (the intro collapses, the
//   target or the letter and sentence sit over the video: style.css).

/** 'firefox' or 'chromium' (Chrome, Edge and the other Chromium browsers), from the user agent. */
export function browserFamily(ua = typeof navigator === 'object' ? navigator.userAgent : '') {
  return /firefox\//i.test(ua) ? 'firefox' : 'chromium';
}

/** Why the camera did not start, from camera.js's message: 'denied', 'missing', 'busy', 'insecure' or 'other'. */
export function cameraProblem(message) {
  if (/denied|permission|not allowed/i.test(message)) return 'denied';
  if (/no camera|not found|disconnected/i.test(message)) return 'missing';
  if (/in use/i.test(message)) return 'busy';
  if (/secure page|cannot use a camera/i.test(message)) return 'insecure';
  return 'other';
}

/** The steps that help with a camera problem, in this browser's words. */
export function cameraSteps(problem, family = browserFamily()) {
  if (problem === 'denied') {
    return family === 'firefox'
      ? ['Click the crossed-out camera icon at the left of the address bar.',
        'Next to “Use the Camera”, remove “Blocked Temporarily” (or “Blocked”) with its ×.',
        'Reload this page and press Start camera: Firefox asks again.']
      : ['Click the icon at the left of the address bar (the site controls, or a camera with a red cross).',
        'Set Camera to “Allow” (or “Reset permission”).',
        'Reload this page and press Start camera.'];
  }
  if (problem === 'missing') return ['Connect a camera (or enable the built-in one), then press Start camera again.'];
  if (problem === 'busy') return ['Close the other app or tab using the camera, then press Start camera again.'];
  if (problem === 'insecure') return ['Open this page over https (or on localhost): browsers allow cameras only there.'];
  return ['Press Start camera again; if it keeps failing, reload the page.'];
}

/**
 * Wire the aids. `connPill`, `camPill`: the pages' status pills; `camError`: camera.js's message;
 * `help`: where the camera help goes; `banner`: the banner over the video; `useUpload`: what "Use a
 * photo instead" does; `lostText`: the banner's words while the server is away.
 */
export function setupLiveAids({ connPill, camPill, camError, help, banner, useUpload, uploadLabel = 'Use a photo instead', lostText }) {
  const body = document.body;
  let wasOpen = false;

  function showHelp() {
    const state = camPill.dataset.state;
    body.classList.toggle('camera-on', state === 'on');
    if (state !== 'error') { help.hidden = true; return; }
    const problem = cameraProblem(camError.textContent || '');
    help.dataset.problem = problem;
    const title = document.createElement('p');
    title.className = 'help-title';
    title.textContent = problem === 'denied' ? 'To use the camera, allow it for this site:'
      : problem === 'missing' ? 'No camera is available:' : 'To start the camera:';
    const steps = document.createElement('ol');
    for (const s of cameraSteps(problem)) {
      const li = document.createElement('li');
      li.textContent = s;
      steps.append(li);
    }
    const or = document.createElement('p');
    or.className = 'row';
    const b = document.createElement('button');
    b.type = 'button';
    b.id = `${help.id}-upload`;
    b.className = 'primary';
    b.textContent = uploadLabel;
    b.addEventListener('click', useUpload);
    or.append('Or, without a camera: ', b);
    help.replaceChildren(title, steps, or);
    help.hidden = false;
  }

  function showConnection() {
    const state = connPill.dataset.state;
    if (state === 'open') {
      wasOpen = true;
      body.classList.remove('server-lost');
      banner.hidden = true;
      return;
    }
    if (!wasOpen || (state !== 'reconnecting' && state !== 'closed')) return;
    body.classList.add('server-lost');
    banner.textContent = `${lostText} ${state === 'reconnecting' ? 'Reconnecting…' : ''}`.trim();
    banner.hidden = false;
  }

  const watch = (el, fn) => new MutationObserver(fn).observe(el, { attributes: true, attributeFilter: ['data-state'], childList: true, characterData: true, subtree: true });
  watch(camPill, showHelp);
  watch(connPill, showConnection);
  showHelp();
  showConnection();
}
