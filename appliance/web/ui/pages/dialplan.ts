/** Dial plan: outgoing rules in the order they are tried, and incoming DIDs with the default destination. */
import { useEffect, useState } from 'preact/hooks';
import type { DialRule, InboundView, TrunkView } from '../../../control/backend';
import { api, seg } from '../api';
import { ConfirmButton, EmptyRow, errorText, FormError, LoadState, onSubmit, Section, SelectField, TextField, useAction, useLoad } from '../components';
import { numberOrText, splitList } from '../form-values';
import { html } from '../html';
import { t } from '../i18n';
import { notifyError, notifySuccess } from '../notices';

const RULE_CLASSES: readonly DialRule['class'][] = ['internal', 'local', 'national', 'international', 'emergency'];

function AddRuleForm(props: { trunkNames: string[]; onAdded: () => void }) {
  const [name, setName] = useState('');
  const [pattern, setPattern] = useState('');
  const [strip, setStrip] = useState('0');
  const [prefix, setPrefix] = useState('');
  const [trunks, setTrunks] = useState('');
  const [cls, setCls] = useState<DialRule['class']>('national');
  const [position, setPosition] = useState('');
  const action = useAction();
  const submit = async () => {
    const body: Record<string, unknown> = { name: name.trim(), pattern: pattern.trim(), strip: numberOrText(strip), prefix: prefix.trim(), trunks: splitList(trunks), class: cls };
    if (position.trim() !== '') body.position = numberOrText(position);
    const ok = await action.run(() => api.post('/v1/dialplan', body));
    if (!ok) return;
    notifySuccess(t('rule.added', { name: name.trim() }));
    setName('');
    setPattern('');
    setStrip('0');
    setPrefix('');
    setPosition('');
    props.onAdded();
  };
  const e = action.error;
  return html`<${Section} title=${t('rule.add')}>
    <form class="form-grid" data-testid="rule-add-form" onSubmit=${onSubmit(submit)} novalidate>
      <${TextField} id="rule-name" name="name" label=${t('rule.name')} value=${name} onInput=${setName} error=${e} required />
      <${TextField} id="rule-pattern" name="pattern" label=${t('rule.pattern')} hint=${t('rule.patternHint')} value=${pattern} onInput=${setPattern} error=${e} required />
      <${TextField} id="rule-strip" name="strip" type="number" label=${t('rule.strip')} value=${strip} onInput=${setStrip} error=${e} />
      <${TextField} id="rule-prefix" name="prefix" label=${t('rule.prefix')} value=${prefix} onInput=${setPrefix} error=${e} />
      <${TextField}
        id="rule-trunks"
        name="trunks"
        label=${t('rule.trunks')}
        hint=${props.trunkNames.length > 0 ? t('rule.trunksHint', { names: props.trunkNames.join(', ') }) : t('rule.noTrunks')}
        value=${trunks}
        onInput=${setTrunks}
        error=${e}
        required
      />
      <${SelectField} id="rule-class" name="class" label=${t('rule.class')} value=${cls} options=${RULE_CLASSES.map((c) => ({ value: c, label: t(`callClass.${c}`) }))} onChange=${setCls} error=${e} />
      <${TextField} id="rule-position" name="position" type="number" label=${t('rule.position')} hint=${t('rule.positionHint')} value=${position} onInput=${setPosition} error=${e} />
      <${FormError} error=${e} fields=${['name', 'pattern', 'strip', 'prefix', 'trunks', 'class', 'position']} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="rule-add-submit" disabled=${action.busy}>${t('action.add')}</button></div>
    </form>
  <//>`;
}

function RulesSection(props: { trunkNames: string[] }) {
  const loaded = useLoad(() => api.get<DialRule[]>('/v1/dialplan'));
  const rules = loaded.data ?? [];
  const [busy, setBusy] = useState(false);

  const act = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await work();
      notifySuccess(done);
      await loaded.reload();
    } catch (err) {
      notifyError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const move = (rule: DialRule, position: number) =>
    act(() => api.post(`/v1/dialplan/${seg(rule.name)}/move`, { position }), t('rule.moved', { name: rule.name, position }));
  const remove = (rule: DialRule) => act(() => api.del(`/v1/dialplan/${seg(rule.name)}`), t('rule.removed', { name: rule.name }));

  return html`
    <${Section} title=${t('rule.list')} testid="rules">
      <p class="hint">${t('rule.orderHint')}</p>
      <${LoadState} loaded=${loaded} />
      <table data-testid="rule-table">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">${t('rule.name')}</th>
            <th scope="col">${t('rule.pattern')}</th>
            <th scope="col">${t('rule.strip')}</th>
            <th scope="col">${t('rule.prefix')}</th>
            <th scope="col">${t('rule.trunks')}</th>
            <th scope="col">${t('rule.class')}</th>
            <th scope="col"><span class="sr-only">${t('common.actions')}</span></th>
          </tr>
        </thead>
        <tbody>
          ${loaded.data !== undefined && rules.length === 0 && html`<${EmptyRow} columns=${8} text=${t('rule.none')} />`}
          ${rules.map(
            (r, i) => html`<tr data-testid=${`row-${r.name}`}>
              <td>${i + 1}</td>
              <th scope="row">${r.name}</th>
              <td class="mono">${r.pattern}</td>
              <td>${r.strip}</td>
              <td class="mono">${r.prefix || '—'}</td>
              <td>${r.trunks.join(' → ')}</td>
              <td>${t(`callClass.${r.class}`)}</td>
              <td class="actions">
                <button type="button" class="btn" data-testid=${`up-${r.name}`} aria-label=${t('rule.moveUpLabel', { name: r.name })} disabled=${busy || i === 0} onClick=${() => move(r, i)}>
                  ↑ ${t('rule.up')}
                </button>
                <button
                  type="button"
                  class="btn"
                  data-testid=${`down-${r.name}`}
                  aria-label=${t('rule.moveDownLabel', { name: r.name })}
                  disabled=${busy || i === rules.length - 1}
                  onClick=${() => move(r, i + 2)}
                >
                  ↓ ${t('rule.down')}
                </button>
                <${ConfirmButton} label=${t('action.delete')} question=${t('rule.confirmDelete', { name: r.name })} testid=${`delete-${r.name}`} disabled=${busy} onConfirm=${() => remove(r)} />
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <${AddRuleForm} trunkNames=${props.trunkNames} onAdded=${loaded.reload} />
  `;
}

function InboundSection() {
  const loaded = useLoad(() => api.get<InboundView>('/v1/inbound'));
  const inbound = loaded.data;
  const [did, setDid] = useState('');
  const [extension, setExtension] = useState('');
  const [defaultExt, setDefaultExt] = useState('');
  const addAction = useAction();
  const defaultAction = useAction();

  // Show the stored default once it is known (the user's edit wins afterwards).
  useEffect(() => {
    if (inbound !== undefined) setDefaultExt(inbound.defaultDestination);
  }, [inbound?.defaultDestination]);

  const addDid = async () => {
    const ok = await addAction.run(() => api.post('/v1/inbound', { did: did.trim(), extension: extension.trim() }));
    if (!ok) return;
    notifySuccess(t('did.added', { did: did.trim() }));
    setDid('');
    setExtension('');
    await loaded.reload();
  };
  const saveDefault = async () => {
    const ok = await defaultAction.run(() => api.put('/v1/inbound/default', { extension: defaultExt.trim() }));
    if (!ok) return;
    notifySuccess(defaultExt.trim() === '' ? t('did.defaultCleared') : t('did.defaultSaved', { extension: defaultExt.trim() }));
    await loaded.reload();
  };
  const removeDid = async (d: string) => {
    try {
      await api.del(`/v1/inbound/${seg(d)}`);
      notifySuccess(t('did.removed', { did: d }));
      await loaded.reload();
    } catch (err) {
      notifyError(errorText(err));
    }
  };

  return html`<${Section} title=${t('did.title')} testid="inbound">
    <p class="hint">${t('did.hint')}</p>
    <${LoadState} loaded=${loaded} />
    <table data-testid="did-table">
      <thead>
        <tr><th scope="col">${t('did.did')}</th><th scope="col">${t('did.extension')}</th><th scope="col"><span class="sr-only">${t('common.actions')}</span></th></tr>
      </thead>
      <tbody>
        ${inbound !== undefined && inbound.dids.length === 0 && html`<${EmptyRow} columns=${3} text=${t('did.none')} />`}
        ${(inbound?.dids ?? []).map(
          (d) => html`<tr data-testid=${`row-did-${d.did}`}>
            <th scope="row">${d.did}</th>
            <td>${d.extension}</td>
            <td class="actions"><${ConfirmButton} label=${t('action.delete')} question=${t('did.confirmDelete', { did: d.did })} testid=${`delete-did-${d.did}`} onConfirm=${() => removeDid(d.did)} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <form class="form-grid" data-testid="did-add-form" onSubmit=${onSubmit(addDid)} novalidate>
      <${TextField} id="did-number" name="did" label=${t('did.did')} value=${did} onInput=${setDid} error=${addAction.error} required />
      <${TextField} id="did-extension" name="extension" label=${t('did.extension')} value=${extension} onInput=${setExtension} error=${addAction.error} required />
      <${FormError} error=${addAction.error} fields=${['did', 'extension']} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="did-add-submit" disabled=${addAction.busy}>${t('did.add')}</button></div>
    </form>
    <form class="form-grid" data-testid="did-default-form" onSubmit=${onSubmit(saveDefault)} novalidate>
      <${TextField}
        id="did-default"
        name="extension"
        label=${t('did.default')}
        hint=${t('did.defaultHint')}
        value=${defaultExt}
        onInput=${setDefaultExt}
        error=${defaultAction.error}
      />
      <${FormError} error=${defaultAction.error} fields=${['extension']} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" data-testid="did-default-submit" disabled=${defaultAction.busy}>${t('action.save')}</button></div>
    </form>
  <//>`;
}

export function DialPlanPage() {
  const trunks = useLoad(() => api.get<TrunkView[]>('/v1/trunks'));
  return html`<div class="page">
    <div class="page-head"><h1>${t('nav.dialplan')}</h1></div>
    <${RulesSection} trunkNames=${(trunks.data ?? []).map((x) => x.name)} />
    <${InboundSection} />
  </div>`;
}
