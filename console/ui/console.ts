/** The console's client script: follows a running replay, checks a merge patch is JSON before it is sent, shows local times. */
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />

interface Progress {
  status: 'running' | 'done' | 'failed';
  published: number;
  max: number;
  error?: string;
}

/** Polls a replay's progress until it ends, then reloads the page, which shows the result. */
function followProgress(element: HTMLElement): void {
  const url = element.dataset.progressUrl;
  if (!url || element.dataset.status !== 'running') return;
  const bar = element.querySelector('progress');
  const text = element.querySelector<HTMLElement>('[data-progress-text]');
  const poll = async (): Promise<void> => {
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const progress = (await response.json()) as Progress;
      if (bar) bar.value = progress.published;
      if (text) text.textContent = `${progress.published} / ${progress.max}`;
      if (progress.status !== 'running') {
        window.location.reload();
        return;
      }
    } catch (error) {
      // The console may be restarting: say so, and keep trying.
      if (text) text.textContent = `progress unavailable (${(error as Error).message}); retrying`;
    }
    window.setTimeout(poll, 500);
  };
  window.setTimeout(poll, 300);
}

/** Marks a patch field invalid while it is not a JSON object, so the mistake shows before the form is sent. */
function checkJson(field: HTMLTextAreaElement): void {
  const check = () => {
    let message = '';
    if (field.value.trim() !== '') {
      try {
        const value: unknown = JSON.parse(field.value);
        if (value === null || typeof value !== 'object' || Array.isArray(value))
          message = 'A merge patch is a JSON object.';
      } catch (error) {
        message = `Not JSON: ${(error as Error).message}`;
      }
    }
    field.setCustomValidity(message);
    field.title = message;
  };
  field.addEventListener('input', check);
  check();
}

/** Shows ISO times in the browser's time zone as well (the text stays UTC, as the CLI prints it). */
function localTimes(): void {
  for (const element of document.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    const at = new Date(element.dateTime);
    if (!Number.isNaN(at.getTime())) element.title = at.toLocaleString();
  }
}

document.addEventListener('DOMContentLoaded', () => {
  for (const element of document.querySelectorAll<HTMLElement>('[data-progress-url]'))
    followProgress(element);
  for (const field of document.querySelectorAll<HTMLTextAreaElement>('textarea[data-json]')) checkJson(field);
  localTimes();
});
