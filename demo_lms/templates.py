# ruff: noqa: E501  (HTML templates: long markup lines read better unbroken)
"""Jinja templates of the demo LMS, kept in Python so they ship with the package.

Accessibility (seniors use this page): ``<html lang>``, one ``h1`` and a heading
outline, a skip link, visible labels on every control, large text (18 px base),
AA contrast (body #1a1a1a, links/buttons #0b4f9c on white, ~8:1), visible focus
outlines, 44 px targets, data tables with captions and header scopes.
"""

from __future__ import annotations

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{{ platform_name }}{% endblock %}</title>
<style>
  :root { color-scheme: light; }
  html { font-size: 112.5%; }
  body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
         line-height: 1.55; color: #1a1a1a; background: #ffffff; }
  a { color: #0b4f9c; text-decoration: underline; text-underline-offset: 0.15em; }
  a:hover { color: #062f5e; }
  :focus-visible { outline: 3px solid #1a1a1a; outline-offset: 3px; }
  .skip-link { position: absolute; left: -9999px; top: 0.5rem; padding: 0.5rem 1rem;
               background: #ffffff; color: #0b4f9c; z-index: 10; }
  .skip-link:focus { left: 0.5rem; }
  .site-header { background: #0b3d6e; color: #ffffff; padding: 0.75rem 1.5rem; }
  .site-header p { margin: 0; font-size: 1.25rem; font-weight: 700; }
  main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
  h1 { font-size: 2rem; line-height: 1.25; margin: 1rem 0 0.5rem; }
  h2 { font-size: 1.5rem; margin: 2.5rem 0 0.75rem; border-bottom: 2px solid #d0d0d0; }
  h3 { font-size: 1.25rem; margin: 0 0 0.25rem; }
  .lead { font-size: 1.1rem; max-width: 48rem; }
  .muted { color: #4a4a4a; }
  .people { list-style: none; padding: 0; margin: 0; display: grid; gap: 1rem;
            grid-template-columns: repeat(auto-fill, minmax(19rem, 1fr)); }
  .card { border: 2px solid #5a5a5a; border-radius: 0.5rem; padding: 1rem 1.25rem; }
  .card p { margin: 0.25rem 0; }
  .role { font-weight: 700; }
  label { display: block; font-weight: 600; margin-top: 0.75rem; }
  select { font: inherit; width: 100%; min-height: 2.75rem; padding: 0.4rem 0.5rem;
           border: 2px solid #5a5a5a; border-radius: 0.25rem; background: #ffffff; color: #1a1a1a; }
  button { font: inherit; font-weight: 700; min-height: 2.75rem; margin-top: 0.9rem;
           padding: 0.55rem 1.1rem; border-radius: 0.375rem; cursor: pointer;
           border: 2px solid #0b4f9c; background: #0b4f9c; color: #ffffff; }
  button:hover { background: #062f5e; border-color: #062f5e; }
  button.secondary { background: #ffffff; color: #0b4f9c; }
  button.secondary:hover { background: #e8f0fa; }
  .notice { border-left: 6px solid #8a5a00; background: #fff7e0; padding: 0.75rem 1rem; }
  .error { border-left: 6px solid #a4161a; background: #fdecec; padding: 0.75rem 1rem; }
  .ok { border-left: 6px solid #1e6b35; background: #e9f6ec; padding: 0.75rem 1rem; }
  .table-wrap { overflow-x: auto; }
  table { border-collapse: collapse; margin: 0.5rem 0; }
  caption { text-align: left; font-weight: 700; padding: 0.25rem 0; }
  th, td { border: 1px solid #5a5a5a; padding: 0.5rem 0.75rem; text-align: left; vertical-align: top; }
  thead th { background: #eef2f7; }
  dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
  dl.facts dt { font-weight: 700; }
  dl.facts dd { margin: 0; overflow-wrap: anywhere; }
  code { font-size: 0.95em; overflow-wrap: anywhere; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                     clip: rect(0 0 0 0); white-space: nowrap; }
  iframe { width: 100%; height: 36rem; border: 2px solid #5a5a5a; border-radius: 0.25rem; }
</style>
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header"><p>{{ platform_name }}</p></header>
<main id="main">
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

HOME = """{% extends "base.html" %}
{% block title %}{{ course.title }} · {{ platform_name }}{% endblock %}
{% block content %}
<h1>{{ course.title }}</h1>
<p class="lead">A demo course in a pretend learning platform. Choose a person below and open the
reverse mentoring tool as that person. The people, the course and this platform exist only
for trying the tool.</p>

{% if not registration %}
<div class="notice" role="note">
  <p><strong>No tool is registered yet.</strong> Use <em>Register the tool (Dynamic
  Registration)</em> in the “Tool registration” section, then come back here.</p>
</div>
{% endif %}

<section aria-labelledby="people-heading">
<h2 id="people-heading">People in this course</h2>
<ul class="people">
{% for person in people %}
  {% set n = loop.index %}
  <li class="card">
    <h3 id="person-{{ n }}">{{ person.name }}</h3>
    <p class="role">{{ role_labels[person.program_role] }}</p>
    {% if person.description %}<p>{{ person.description }}</p>{% endif %}
    {% if person.withhold_pii %}
      <p class="muted">Name and email are not shared with the tool.</p>
    {% else %}
      <p><span class="muted">Email:</span> {{ person.email }}</p>
    {% endif %}
    {% if registration %}
    <form method="get" action="{{ url_for('launch_from_form') }}">
      <input type="hidden" name="user" value="{{ person.user_id }}">
      <label for="link-{{ n }}">Activity</label>
      <select id="link-{{ n }}" name="link">
        {% for link in links %}<option value="{{ link.id }}">{{ link.title }}</option>{% endfor %}
      </select>
      <label for="locale-{{ n }}">Language</label>
      <select id="locale-{{ n }}" name="locale">
        {% for code, label in locales.items() %}<option value="{{ code }}" lang="{{ code }}">{{ label }}</option>{% endfor %}
      </select>
      <button type="submit">Launch as {{ person.name }}</button>
    </form>
    {% if person.is_instructor %}
    <form method="get" action="{{ url_for('deep_link_start') }}">
      <input type="hidden" name="user" value="{{ person.user_id }}">
      <label for="dl-locale-{{ n }}">Language for adding an activity</label>
      <select id="dl-locale-{{ n }}" name="locale">
        {% for code, label in locales.items() %}<option value="{{ code }}" lang="{{ code }}">{{ label }}</option>{% endfor %}
      </select>
      <button type="submit" class="secondary">Add an activity (Deep Linking)</button>
    </form>
    {% endif %}
    {% endif %}
  </li>
{% endfor %}
</ul>
</section>

<section aria-labelledby="activities-heading">
<h2 id="activities-heading">Activities</h2>
<div class="table-wrap">
<table>
  <caption>Resource links in this course</caption>
  <thead><tr>
    <th scope="col">Activity</th><th scope="col">Link id</th><th scope="col">Added by</th>
    <th scope="col">Grade column</th><th scope="col">Scores received</th>
  </tr></thead>
  <tbody>
  {% for link in links %}
    {% set item = line_items_by_id.get(link.line_item_id) %}
    <tr>
      <th scope="row">{{ link.title }}{% if link.custom %}<br><span class="muted">custom:
        {% for k, v in link.custom.items() %}<code>{{ k }}={{ v }}</code>{% if not loop.last %}, {% endif %}{% endfor %}</span>{% endif %}</th>
      <td><code>{{ link.id }}</code></td>
      <td>{{ created_by_labels[link.created_by] }}</td>
      <td>{% if item %}{{ item.label }} (max {{ item.score_maximum|num }}){% if item.resource_id %}<br><span class="muted">resourceId <code>{{ item.resource_id }}</code></span>{% endif %}{% if item.tag %}<br><span class="muted">tag <code>{{ item.tag }}</code></span>{% endif %}{% else %}<span class="muted">none</span>{% endif %}</td>
      <td>{% if item %}{{ score_counts.get(item.id, 0) }}{% else %}<span class="muted">not graded</span>{% endif %}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
</section>

<section aria-labelledby="gradebook-heading">
<h2 id="gradebook-heading">Gradebook</h2>
{% if line_items %}
<div class="table-wrap" role="region" aria-labelledby="gradebook-heading" tabindex="0">
<table>
  <caption>Latest score of each person in each grade column</caption>
  <thead><tr>
    <th scope="col">Person</th>
    {% for item in line_items %}<th scope="col">{{ item.label }}<br><span class="muted">out of {{ item.score_maximum|num }}</span></th>{% endfor %}
  </tr></thead>
  <tbody>
  {% for row in gradebook %}
    <tr>
      <th scope="row">{{ row.person.name }}<br><span class="muted">{{ role_labels[row.person.program_role] }}</span></th>
      {% for item in line_items %}{% set s = row.cells[item.id] %}
      <td>{% if s %}{% if s.score_given is not none %}<strong>{{ s.score_given|num }} / {{ s.score_maximum|num }}</strong>{% else %}<strong>no score</strong>{% endif %}
        <br><span class="muted">{{ s.activity_progress }}, {{ s.grading_progress }}<br>
        <time datetime="{{ s.body.timestamp }}">{{ s.body.timestamp }}</time></span>
      {% else %}<span aria-hidden="true">—</span><span class="visually-hidden">no score yet</span>{% endif %}</td>
      {% endfor %}
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p>No grade columns yet. An instructor can add a graded activity with <em>Add an activity
(Deep Linking)</em>.</p>
{% endif %}
</section>

<section aria-labelledby="tool-heading">
<h2 id="tool-heading">Tool registration</h2>
{% if registration %}
<dl class="facts">
  <dt>Tool</dt><dd>{{ registration.client_name }}</dd>
  <dt>Registered by</dt><dd>{{ "Dynamic Registration" if registration.dynamic else "the platform's settings" }}</dd>
  <dt>Client ID</dt><dd><code>{{ registration.client_id }}</code></dd>
  <dt>Deployment ID</dt><dd><code>{{ registration.deployment_id }}</code></dd>
  <dt>Login URL</dt><dd><code>{{ registration.initiate_login_uri }}</code></dd>
  <dt>Launch URL</dt><dd><code>{{ registration.launch_url }}</code></dd>
  <dt>Tool key set</dt><dd><code>{{ registration.jwks_uri }}</code></dd>
</dl>
{% endif %}
<form method="post" action="{{ url_for('registration_start') }}">
  <button type="submit" class="secondary">Register the tool (Dynamic Registration)</button>
</form>
<p class="muted">Opens the tool's registration page (<code>{{ tool_register_url }}</code>) inside
this platform. The new registration replaces the current one for launches.</p>
</section>

<section aria-labelledby="platform-heading">
<h2 id="platform-heading">Platform details (for configuring the tool)</h2>
<dl class="facts">
  <dt>Issuer</dt><dd><code>{{ settings.issuer }}</code></dd>
  <dt>Authorization endpoint</dt><dd><code>{{ settings.authorization_endpoint }}</code></dd>
  <dt>Token endpoint</dt><dd><code>{{ settings.token_endpoint }}</code></dd>
  <dt>Key set (JWKS)</dt><dd><a href="{{ settings.jwks_uri }}"><code>{{ settings.jwks_uri }}</code></a></dd>
  <dt>OpenID configuration</dt><dd><a href="{{ settings.openid_configuration }}"><code>{{ settings.openid_configuration }}</code></a></dd>
</dl>
</section>
{% endblock %}
"""

LAUNCH_FORM = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Opening the tool…</title>
<style>
  body { font-family: system-ui, sans-serif; font-size: 1.125rem; color: #1a1a1a; margin: 2rem; }
  button { font: inherit; font-weight: 700; padding: 0.6rem 1.2rem; border: 2px solid #0b4f9c;
           background: #0b4f9c; color: #fff; border-radius: 0.375rem; }
  :focus-visible { outline: 3px solid #1a1a1a; outline-offset: 3px; }
</style>
</head>
<body>
<main>
<h1>Opening the tool…</h1>
<form id="lti-launch-form" method="post" action="{{ action }}">
  <input type="hidden" name="id_token" value="{{ id_token }}">
  <input type="hidden" name="state" value="{{ state }}">
  <noscript>
    <p>JavaScript is turned off. Press the button to continue.</p>
    <button type="submit">Continue to the tool</button>
  </noscript>
</form>
</main>
<script>document.getElementById("lti-launch-form").submit();</script>
</body>
</html>
"""

MESSAGE = """{% extends "base.html" %}
{% block title %}{{ heading }} · {{ platform_name }}{% endblock %}
{% block content %}
<h1>{{ heading }}</h1>
<div class="{{ kind }}" role="{{ 'alert' if kind == 'error' else 'status' }}">
  {% for paragraph in paragraphs %}<p>{{ paragraph }}</p>{% endfor %}
  {% if details %}<ul>{% for d in details %}<li>{{ d }}</li>{% endfor %}</ul>{% endif %}
</div>
<p><a href="{{ url_for('home') }}">Back to the course</a></p>
{% endblock %}
"""

DEEP_LINK_RESULT = """{% extends "base.html" %}
{% block title %}Activities added · {{ platform_name }}{% endblock %}
{% block content %}
<h1>{% if links %}Activities added{% else %}No activity added{% endif %}</h1>
{% if tool_message %}<div class="ok" role="status"><p>Message from the tool: {{ tool_message }}</p></div>{% endif %}
{% if tool_error %}<div class="error" role="alert"><p>Error from the tool: {{ tool_error }}</p></div>{% endif %}
{% if links %}
<ul>
{% for link in links %}
  {% set item = line_items_by_id.get(link.line_item_id) %}
  <li><strong>{{ link.title }}</strong> (link <code>{{ link.id }}</code>){% if item %}, graded:
    column “{{ item.label }}” out of {{ item.score_maximum|num }}{% if item.resource_id %},
    resourceId <code>{{ item.resource_id }}</code>{% endif %}{% if item.tag %}, tag <code>{{ item.tag }}</code>{% endif %}{% endif %}</li>
{% endfor %}
</ul>
{% else %}
<p>The tool returned no content items.</p>
{% endif %}
<p><a href="{{ url_for('home') }}">Back to the course</a></p>
{% endblock %}
"""

REGISTER = """{% extends "base.html" %}
{% block title %}Register the tool · {{ platform_name }}{% endblock %}
{% block content %}
<h1>Register the tool</h1>
<p id="registration-status" role="status" aria-live="polite">The tool's registration page is
shown below. Follow its steps; this page notices when the tool is done.</p>
<iframe id="registration-frame" title="The tool's registration page" src="{{ register_url }}"></iframe>
<p><a href="{{ register_url }}" target="_blank" rel="opener">Open the registration in a new window
instead</a> (the registration link works once).</p>
<p><a href="{{ url_for('home') }}">Back to the course</a></p>
<script>
(function () {
  var toolOrigin = {{ tool_origin|tojson }};
  var homeUrl = {{ url_for('home')|tojson }};
  window.addEventListener("message", function (event) {
    if (event.origin !== toolOrigin) { return; }
    var data = event.data;
    if (typeof data === "string") {
      try { data = JSON.parse(data); } catch (e) { return; }
    }
    if (!data || data.subject !== "org.imsglobal.lti.close") { return; }
    var frame = document.getElementById("registration-frame");
    if (frame) { frame.remove(); }
    document.getElementById("registration-status").textContent =
      "The tool has finished registering. Going back to the course…";
    window.setTimeout(function () { window.location.assign(homeUrl); }, 1500);
  });
})();
</script>
{% endblock %}
"""

TEMPLATES: dict[str, str] = {
    "base.html": BASE,
    "home.html": HOME,
    "launch_form.html": LAUNCH_FORM,
    "message.html": MESSAGE,
    "deep_link_result.html": DEEP_LINK_RESULT,
    "register.html": REGISTER,
}
