// The sentence being built: committed words + the current word, as the server reports it.

export class SentenceView {
  constructor(root) {
    this.root = root;
    this.state = { words: [], current_word: '', full_sentence: '' };
    this.render();
  }

  /** Apply any object carrying sentence fields (a 'sentence' or 'prediction' message, or GET /sentence). */
  update(s) {
    if (!s || (s.words === undefined && s.current_word === undefined && s.full_sentence === undefined)) return;
    const next = {
      words: Array.isArray(s.words) ? s.words : this.state.words,
      current_word: typeof s.current_word === 'string' ? s.current_word : this.state.current_word,
      full_sentence: typeof s.full_sentence === 'string' ? s.full_sentence : null,
    };
    // re-render only on a change, so the aria-live region is not re-announced on every frame
    if (JSON.stringify(next) === JSON.stringify(this.state)) return;
    this.state = next;
    this.render();
  }

  /** The whole sentence as text. */
  get text() {
    const { words, current_word, full_sentence } = this.state;
    if (typeof full_sentence === 'string') return full_sentence.trim();
    return [...words, current_word].filter(Boolean).join(' ');
  }

  render() {
    const { words, current_word } = this.state;
    const committed = words.filter(Boolean).join(' ');
    this.root.replaceChildren();
    this.root.dataset.text = this.text;
    this.root.dataset.words = committed;
    this.root.dataset.currentWord = current_word || '';
    if (!committed && !current_word) {
      const ph = document.createElement('span');
      ph.className = 'placeholder';
      ph.textContent = 'Signed letters appear here…';
      this.root.append(ph);
      return;
    }
    const w = document.createElement('span');
    w.className = 'words';
    w.textContent = committed;
    const c = document.createElement('span');
    c.className = 'current';
    c.textContent = current_word || '';
    const caret = document.createElement('span');
    caret.className = 'caret';
    caret.setAttribute('aria-hidden', 'true');
    this.root.append(w, committed && current_word ? ' ' : '', c, caret);
  }
}

/** Copy text to the clipboard (with a fallback for non-secure pages). */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.append(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy failed');
}

export const canSpeak = () => 'speechSynthesis' in window && typeof SpeechSynthesisUtterance !== 'undefined';

export function speak(text, lang = 'en-US') {
  if (!canSpeak() || !text) return false;
  window.speechSynthesis.cancel();
  const u = new SpeechSynthesisUtterance(text.toLowerCase());
  u.lang = lang;
  window.speechSynthesis.speak(u);
  return true;
}
