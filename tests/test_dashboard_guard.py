"""The dashboard served beyond loopback (`facemask app --host 0.0.0.0`), in Chromium: the Retrain tab is read-only without
a token, and unlocked for the page by the right token. (On loopback it is open: tests/test_dashboard_browser.py retrains.)"""
import pytest
from playwright.sync_api import expect

from browser import chromium, open_dashboard, select_tab, serve_dashboard

TOKEN = 'browser-test-token'


@pytest.mark.parametrize('token', [None, TOKEN], ids=['no token', 'token'])
def test_retrain_tab_beyond_loopback(tmp_path, token):
    with serve_dashboard(tmp_path, host='0.0.0.0', env={'FACEMASK_API_TOKEN': token or ''}) as dashboard, chromium() as browser:
        page = open_dashboard(browser, dashboard.url)
        select_tab(page, 'Retrain')
        upload, retrain = page.locator('button.widget-upload:visible'), page.locator('button:visible', has_text='Retrain')
        guard = page.locator('.fm-guard')
        for button in (upload, retrain, page.locator('button:visible', has_text='Roll back production')):
            expect(button).to_be_disabled()
        if token is None:
            expect(guard).to_contain_text('no token is configured')
            expect(guard).to_contain_text('FACEMASK_API_TOKEN')
            expect(guard.locator('input')).to_have_count(0)
            return
        guard.locator('input[type=password]').fill('not the token')
        guard.locator('button', has_text='Unlock changes').click()
        expect(guard).to_contain_text('wrong token')
        expect(retrain).to_be_disabled()
        guard.locator('input[type=password]').fill(TOKEN)
        guard.locator('button', has_text='Unlock changes').click()
        expect(guard).to_contain_text('Changes unlocked for this page')
        expect(retrain).to_be_enabled()
        expect(upload).to_be_enabled()
