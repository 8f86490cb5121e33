from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.models import User as Account
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from annotations import services
from annotations.models import Article, Claim, Stance, Verdict

# Demo accounts for a first run on a developer's machine; the command refuses to run
# with DEBUG off, so they never reach production.
DEMO_USERS = [
    ("analyst", services.ANALYST, False),
    ("analyst2", services.ANALYST, False),
    ("reviewer", services.REVIEWER, True),
]
DEMO_CLAIMS = [
    (
        "000_a3f1db39b846760f.txt",
        "президент Венесуэлы написал письмо для Владимира Путина",
        Verdict.VERIFIED,
        "The Washington Post cites the letter from internal US government documents.",
        [
            (
                "https://www.washingtonpost.com/national-security/2025/10/31/venezuela-russia-china-iran-military-help/",
                "Venezuela seeks military help from Russia, China and Iran",
                Stance.SUPPORTS,
            )
        ],
    ),
    (
        "000_a3f1db39b846760f.txt",
        "унесли жизни по меньшей мере 62 человек",
        Verdict.UNSOURCED,
        "The casualty figure is given without a source in this report.",
        [],
    ),
    (
        "001_3e1ff92a3d920351.txt",
        "в неділю, 26 жовтня, в Каракас прибув російський військово-транспортний літак Іл-76",
        Verdict.PENDING,
        "",
        [("https://informnapalm.org/", "InformNapalm", Stance.CONTEXT)],
    ),
    (
        "001_3e1ff92a3d920351.txt",
        "Той факт, що ми перекинули понад 10% наших військово-морських сил до Карибського басейну",
        Verdict.DISPUTED,
        "Share of the fleet differs between outlets; needs the original interview.",
        [],
    ),
]


# The second analyst's own assessments of some of those claims: one agrees, one does not,
# so the desk has a disagreement for a reviewer to decide.
SECOND_OPINIONS = [
    (
        "000_a3f1db39b846760f.txt",
        "президент Венесуэлы написал письмо для Владимира Путина",
        Verdict.VERIFIED,
        "Reuters reports the same letter.",
    ),
    (
        "001_3e1ff92a3d920351.txt",
        "Той факт, що ми перекинули понад 10% наших військово-морських сил до Карибського басейну",
        Verdict.VERIFIED,
        "The interview transcript on the ministry's site has the 10% figure.",
    ),
]


class Command(BaseCommand):
    help = "Create demo users (analyst, reviewer) and a few example claims. Never for production."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (a staging copy, say)."
        )

    @transaction.atomic
    def handle(self, *args: object, force: bool, **options: object) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("Demo data is for development: set DEBUG=1 or pass --force.")
        User = get_user_model()
        users: dict[str, Account] = {}
        accounts: dict[str, Account] = {}
        for username, role, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": staff}
            )
            if created:
                user.set_password(f"{username}-demo")
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users.setdefault(role, user)
            accounts[username] = user
        added = 0
        for source_file, quote, verdict, rationale, evidence in DEMO_CLAIMS:
            article = Article.objects.filter(source_file=source_file).first()
            if article is None:
                raise CommandError(f"Load the articles first: {source_file} is not imported.")
            start = article.body.find(quote)
            if start < 0 or Claim.objects.filter(article=article, start=start).exists():
                continue
            claim = services.claim_create(
                article=article,
                start=start,
                end=start + len(quote),
                quote=quote,
                verdict=verdict,
                rationale=rationale,
                author=users[services.ANALYST],
            )
            for url, title, stance in evidence:
                services.evidence_add(
                    claim=claim, actor=users[services.ANALYST], url=url, title=title, stance=stance
                )
            added += 1
        for source_file, quote, verdict, rationale in SECOND_OPINIONS:
            judged = Claim.objects.filter(
                article__source_file=source_file, quote=quote, is_orphaned=False
            ).first()
            if (
                judged is not None
                and not judged.assessments.filter(analyst=accounts["analyst2"]).exists()
            ):
                services.assessment_submit(
                    claim=judged, analyst=accounts["analyst2"], verdict=verdict, rationale=rationale
                )
        self.stdout.write(f"Demo data ready ({added} new claims). Logins:")
        for username, role, _ in DEMO_USERS:
            self.stdout.write(f"  {role:9} {username} / {username}-demo")
