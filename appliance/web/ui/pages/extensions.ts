/** Extensions: the list, adding one, editing one (forwarding included), removing one. */
import { useState } from 'preact/hooks';
import type { CallClass, ExtensionInput, ExtensionView } from '../../../control/backend';
import { api, seg } from '../api';
import { CheckField, ConfirmButton, EmptyRow, errorText, FormError, LoadState, onSubmit, Section, SelectField, TextAreaField, TextField, useAction, useLoad } from '../components';
import { html } from '../html';
import { t } from '../i18n';
import { notifyError, notifySuccess } from '../notices';
import { numberOrText, splitList } from '../form-values';

const CALL_CLASSES: readonly CallClass[] = ['internal', 'local', 'national', 'international'];
const FORWARD_KINDS = ['always', 'busy', 'noAnswer', 'unavailable'] as const;

const permissionOptions = () => CALL_CLASSES.map((c) => ({ value: c, label: t(`callClass.${c}`) }));

/** "always → 102 · busy → 103" for the table. */
function forwardSummary(ext: ExtensionView): string {
  const parts = FORWARD_KINDS.filter((k) => ext.forward[k] !== '').map((k) => `${t(`forward.${k}`)} → ${ext.forward[k]}`);
  return parts.length === 0 ? t('forward.off') : parts.join(' · ');
}

function AddExtensionForm(props: { onAdded: () => void }) {
  const [number, setNumber] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [permission, setPermission] = useState<CallClass>('national');
  const [enabled, setEnabled] = useState(true);
  const action = useAction();
  const submit = async () => {
    const ok = await action.run(() => api.post('/v1/extensions', { number: number.trim(), displayName, password, permission, enabled } satisfies ExtensionInput));
    if (!ok) return;
    notifySuccess(t('ext.added', { number: number.trim() }));
    setNumber('');
    setDisplayName('');
    setPassword('');
    props.onAdded();
  };
  return html`<${Section} title=${t('ext.add')}>
    <form class="form-grid" data-testid="ext-add-form" onSubmit=${onSubmit(submit)} novalidate>
      <${TextField} id="ext-add-number" name="number" label=${t('ext.number')} value=${number} onInput=${setNumber} error=${action.error} required />
      <${TextField} id="ext-add-name" name="displayName" label=${t('ext.displayName')} value=${displayName} onInput=${setDisplayName} error=${action.error} />
      <${TextField}
        id="ext-add-password"
        name="password"
        type="password"
        label=${t('ext.password')}
        hint=${t('ext.passwordHint')}
        value=${password}
        onInput=${setPassword}
        error=${action.error}
        autocomplete="new-password"
        required
      />
      <${SelectField} id="ext-add-permission" name="permission" label=${t('ext.permission')} value=${permission} options=${permissionOptions()} onChange=${setPermission} error=${action.error} />
      <${CheckField} id="ext-add-enabled" name="enabled" label=${t('common.enabled')} checked=${enabled} onChange=${setEnabled} error=${action.error} />
      <${FormError} error=${action.error} fields=${['number', 'displayName', 'password', 'permission', 'enabled']} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="ext-add-submit" disabled=${action.busy}>${t('action.add')}</button></div>
    </form>
  <//>`;
}

function EditExtensionForm(props: { ext: ExtensionView; onSaved: () => void; onClose: () => void }) {
  const { ext } = props;
  const [displayName, setDisplayName] = useState(ext.displayName);
  const [password, setPassword] = useState('');
  const [permission, setPermission] = useState<CallClass>(ext.permission);
  const [enabled, setEnabled] = useState(ext.enabled);
  const [maxContacts, setMaxContacts] = useState(String(ext.maxContacts));
  const [networks, setNetworks] = useState(ext.allowedNetworks.join('\n'));
  const [forward, setForward] = useState({ ...ext.forward, noAnswerSeconds: String(ext.forward.noAnswerSeconds) });
  const action = useAction();
  const setForwardField = (k: keyof typeof forward) => (v: string) => setForward({ ...forward, [k]: v });

  const submit = async () => {
    const body: Record<string, unknown> = {
      displayName,
      permission,
      enabled,
      maxContacts: numberOrText(maxContacts),
      allowedNetworks: splitList(networks),
      forward: {
        always: forward.always.trim(),
        busy: forward.busy.trim(),
        noAnswer: forward.noAnswer.trim(),
        unavailable: forward.unavailable.trim(),
        noAnswerSeconds: numberOrText(forward.noAnswerSeconds),
      },
    };
    // Write-only: empty means "keep the stored password".
    if (password !== '') body.password = password;
    const ok = await action.run(() => api.patch(`/v1/extensions/${seg(ext.number)}`, body));
    if (!ok) return;
    notifySuccess(t('ext.saved', { number: ext.number }));
    setPassword('');
    props.onSaved();
  };

  const id = (f: string) => `ext-edit-${f}`;
  return html`<${Section} title=${t('ext.edit', { number: ext.number })} testid="ext-edit">
    <form class="form-grid" data-testid="ext-edit-form" onSubmit=${onSubmit(submit)} novalidate>
      <${TextField} id=${id('name')} name="displayName" label=${t('ext.displayName')} value=${displayName} onInput=${setDisplayName} error=${action.error} />
      <${TextField}
        id=${id('password')}
        name="password"
        type="password"
        label=${t('ext.newPassword')}
        hint=${t('ext.keepPasswordHint')}
        value=${password}
        onInput=${setPassword}
        error=${action.error}
        autocomplete="new-password"
      />
      <${SelectField} id=${id('permission')} name="permission" label=${t('ext.permission')} value=${permission} options=${permissionOptions()} onChange=${setPermission} error=${action.error} />
      <${TextField} id=${id('max-contacts')} name="maxContacts" type="number" label=${t('ext.maxContacts')} value=${maxContacts} onInput=${setMaxContacts} error=${action.error} />
      <${TextAreaField}
        id=${id('networks')}
        name="allowedNetworks"
        label=${t('ext.allowedNetworks')}
        hint=${t('ext.allowedNetworksHint')}
        value=${networks}
        onInput=${setNetworks}
        error=${action.error}
      />
      <${CheckField} id=${id('enabled')} name="enabled" label=${t('common.enabled')} checked=${enabled} onChange=${setEnabled} error=${action.error} />
      <fieldset class="form-grid span-all">
        <legend>${t('forward.title')}</legend>
        <p class="hint span-all">${t('forward.hint')}</p>
        ${FORWARD_KINDS.map(
          (k) => html`<${TextField}
            id=${id(`forward-${k}`)}
            name=${`forward.${k}`}
            label=${t(`forward.${k}Label`)}
            value=${forward[k]}
            onInput=${setForwardField(k)}
            error=${action.error}
            placeholder=${t('forward.offPlaceholder')}
          />`,
        )}
        <${TextField}
          id=${id('forward-no-answer-seconds')}
          name="forward.noAnswerSeconds"
          type="number"
          label=${t('forward.noAnswerSeconds')}
          hint=${t('forward.noAnswerSecondsHint')}
          value=${forward.noAnswerSeconds}
          onInput=${setForwardField('noAnswerSeconds')}
          error=${action.error}
        />
      </fieldset>
      <${FormError}
        error=${action.error}
        fields=${['displayName', 'password', 'permission', 'maxContacts', 'allowedNetworks', 'enabled', 'forward']}
      />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" data-testid="ext-edit-submit" disabled=${action.busy}>${t('action.save')}</button>
        <button type="button" class="btn" data-testid="ext-edit-close" onClick=${props.onClose}>${t('action.close')}</button>
      </div>
    </form>
  <//>`;
}

export function ExtensionsPage() {
  const loaded = useLoad(() => api.get<ExtensionView[]>('/v1/extensions'));
  const [editing, setEditing] = useState<string | null>(null);
  const list = loaded.data ?? [];
  const editedExt = list.find((e) => e.number === editing);

  const remove = async (number: string) => {
    try {
      await api.del(`/v1/extensions/${seg(number)}`);
      notifySuccess(t('ext.removed', { number }));
      if (editing === number) setEditing(null);
      await loaded.reload();
    } catch (e) {
      notifyError(errorText(e));
    }
  };

  return html`<div class="page">
    <div class="page-head"><h1>${t('nav.extensions')}</h1></div>
    <${Section} title=${t('ext.list')} testid="ext-list">
      <${LoadState} loaded=${loaded} />
      <table data-testid="ext-table">
        <thead>
          <tr>
            <th scope="col">${t('ext.number')}</th>
            <th scope="col">${t('ext.displayName')}</th>
            <th scope="col">${t('common.state')}</th>
            <th scope="col">${t('ext.permission')}</th>
            <th scope="col">${t('forward.title')}</th>
            <th scope="col">${t('ext.password')}</th>
            <th scope="col"><span class="sr-only">${t('common.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${loaded.data !== undefined && list.length === 0 && html`<${EmptyRow} columns=${7} text=${t('ext.none')} />`}
          ${list.map(
            (ext) => html`<tr data-testid=${`row-${ext.number}`} class=${ext.number === editing ? 'selected' : ''}>
              <th scope="row">${ext.number}</th>
              <td>${ext.displayName}</td>
              <td><span class=${`badge ${ext.enabled ? 'ok' : 'off'}`}>${ext.enabled ? t('common.enabled') : t('common.disabled')}</span></td>
              <td>${t(`callClass.${ext.permission}`)}</td>
              <td data-testid=${`forward-${ext.number}`}>${forwardSummary(ext)}</td>
              <td>${ext.hasSecret ? t('ext.passwordSet') : t('ext.passwordMissing')}</td>
              <td class="actions">
                <button type="button" class="btn" data-testid=${`edit-${ext.number}`} onClick=${() => setEditing(ext.number)}>${t('action.edit')}</button>
                <${ConfirmButton}
                  label=${t('action.delete')}
                  question=${t('ext.confirmDelete', { number: ext.number })}
                  testid=${`delete-${ext.number}`}
                  onConfirm=${() => remove(ext.number)}
                />
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    <//>
    ${editedExt !== undefined &&
    html`<${EditExtensionForm} key=${editedExt.number} ext=${editedExt} onSaved=${loaded.reload} onClose=${() => setEditing(null)} />`}
    <${AddExtensionForm} onAdded=${loaded.reload} />
  </div>`;
}
