from tests.factories import course, person


def test_a_launched_learner_reaches_the_learner_page(app):
    ctx = course(app)
    learner = person(app, ctx, name="Ada Senior")
    resp = app.test_client().get("/learn", query_string=learner.q())
    assert resp.status_code == 200
    assert "Ada Senior" in resp.get_data(as_text=True)


def test_an_instructor_reaches_the_program_page(app):
    ctx = course(app)
    teacher = person(app, ctx, role="instructor")
    resp = app.test_client().get("/program", query_string=teacher.q())
    assert resp.status_code == 200
    assert "Pilot course" in resp.get_data(as_text=True)


def test_navigation_follows_the_role_and_keeps_the_launch_token(app):
    ctx = course(app)
    learner = person(app, ctx)
    page = app.test_client().get("/learn", query_string=learner.q()).get_data(as_text=True)
    nav = page.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert 'href="/modules?ltik=' in nav and "/pairs/matching" not in nav
    assert 'aria-current="page"' in nav
    teacher = person(app, ctx, role="instructor")
    page = app.test_client().get("/program", query_string=teacher.q()).get_data(as_text=True)
    nav = page.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert "/pairs/matching?ltik=" in nav and "/modules?" not in nav
