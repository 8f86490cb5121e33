"""A realistic news page around a seed article, as a news site serves it hour after hour.

Everything around the article churns with the ``hour``: the navigation, the "most read"
block, the clock and "updated N minutes ago" stamps, the ads, the related links, the
comment counter and the markup's nonces. Only ``edit`` (an old sentence, a new one) touches
the article body itself. The main-text change detection must see the edit and nothing else.
"""

import html
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "seeds"
SEED = SEEDS / "000_a3f1db39b846760f.txt"

HEADLINE = "Мадуро попросил у Путина военной помощи: ремонт радаров и поставка ракет"
SECTIONS = ["Главное", "Политика", "Экономика", "Мир", "Технологии", "Спорт", "Культура"]
STORIES = [
    "Курс доллара на межбанке снова вырос",
    "В Киеве объявили воздушную тревогу",
    "Синоптики предупредили о сильном ветре",
    "Сборная проиграла в отборочном матче",
    "Цены на топливо: что изменится с понедельника",
    "Новый закон о мобилизации: главное",
    "В Карпатах выпал первый снег",
    "Как изменятся тарифы на электроэнергию",
    "Учёные нашли новый вид лягушек",
    "В метро изменили график работы",
    "Премьер провёл встречу с инвесторами",
    "Землетрясение в Турции: подробности",
]


def seed_paragraphs() -> list[str]:
    """The seed article's paragraphs, without its ``date ...`` line prefix."""
    text = SEED.read_text(encoding="utf-8")
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    first = paragraphs[0]
    if first.startswith("date "):
        paragraphs[0] = first.split(" ", 2)[2]
    return paragraphs


def _rotate(items: list[str], by: int, count: int) -> list[str]:
    return [items[(by + i) % len(items)] for i in range(count)]


def news_page(hour: int = 0, *, edit: tuple[str, str] | None = None) -> bytes:
    """The page as served at ``hour`` (0-23), with ``edit`` applied to the article body."""
    paragraphs = seed_paragraphs()
    if edit is not None:
        old, new = edit
        changed = [p.replace(old, new) for p in paragraphs]
        assert changed != paragraphs, f"{old!r} is not in the article"
        paragraphs = changed
    nonce = f"{hour * 7919 + 13:08x}"
    minute = (hour * 17) % 60
    esc = html.escape
    nav = "".join(
        f'<li><a href="/{i}?utm={nonce}">{esc(s)}</a></li>'
        for i, s in enumerate(_rotate(SECTIONS, hour, 6))
    )
    most_read = "".join(
        f'<li><a href="/news/{hour}{i}">{esc(s)}</a> <span class="views">'
        f"{(hour + 3) * 1000 + i * 37} просмотров</span></li>"
        for i, s in enumerate(_rotate(STORIES, hour * 3, 5))
    )
    related = "".join(
        f'<li><a href="/related/{hour}-{i}">{esc(s)}</a><time>{(hour + i) % 24:02d}:{minute:02d}'
        "</time></li>"
        for i, s in enumerate(_rotate(STORIES, hour * 5 + 2, 4))
    )
    inline = _rotate(STORIES, hour * 7 + 1, 1)[0]
    body = "".join(
        f"<p>{esc(p)}</p>"
        + (
            f'<div class="read-also"><b>Читайте также:</b> <a href="/news/{hour}">{esc(inline)}'
            f'</a></div><figure class="embed-ad ad-{nonce}"><a href="https://ads.example/{hour}">'
            f"<img src='/b/{nonce}.png' alt='Реклама {hour}'></a></figure>"
            if i == 2
            else ""
        )
        for i, p in enumerate(paragraphs)
    )
    ad = (
        f'<div class="ad ad-{nonce}" data-slot="{hour}"><a href="https://ads.example/{nonce}">'
        f"Кредит под {10 + hour % 9}% годовых! Оформите онлайн за {5 + hour % 4} минут</a></div>"
    )
    return f"""<!doctype html>
<html lang="ru"><head><meta charset="utf-8">
<title>{esc(HEADLINE)} | Новости дня</title>
<meta name="description" content="{esc(paragraphs[0][:150])}">
<script nonce="{nonce}">window.__STATE__={{"t":{hour},"n":"{nonce}"}};</script>
<style>.ad-{nonce}{{display:block}}</style>
</head><body class="page-{nonce}">
<header class="site-header"><div class="logo"><a href="/">Новости дня</a></div>
<div class="clock">Сегодня {hour:02d}:{minute:02d}, курс USD {41 + hour / 100:.2f}</div>
<nav class="menu"><ul>{nav}</ul></nav>
<div class="breaking">Срочно: {esc(STORIES[hour % len(STORIES)])}</div></header>
{ad}
<main><article class="post">
<h1>{esc(HEADLINE)}</h1>
<div class="meta">31 октября 2025, 10:15 · Обновлено {(hour * 13) % 59 + 1} минут назад ·
<span class="comments">{hour * 11 + 4} комментариев</span></div>
<div class="post-body">{body}</div>
<div class="tags"><a href="/tag/venezuela">Венесуэла</a> <a href="/tag/russia">Россия</a></div>
</article>
<aside class="related"><h3>Читайте также</h3><ul>{related}</ul></aside>
</main>
<aside class="most-read"><h3>Самое популярное</h3><ol>{most_read}</ol></aside>
{ad.replace("ad ", "ad ad-bottom ")}
<footer><p>© 2025 Новости дня. Все права защищены. Сгенерировано за {hour * 3 + 40} мс.</p>
<ul><li><a href="/about">О нас</a></li><li><a href="/ads">Реклама</a></li></ul></footer>
<script>var uid="{nonce}";</script>
</body></html>""".encode()
