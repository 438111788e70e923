"""Customer search at a million customers: our HTTP API against its floor, the same SQL over raw psycopg.

Run: ``.venv/bin/python bench/search.py`` (about 5-8 minutes on 2 cores; needs the real PostgreSQL,
``CAREDESK_TEST_POSTGRES_URL`` chooses another server). Options: ``--customers N`` (default
1,000,000), ``--requests N`` per search kind and access level (default 300), ``--keep`` (leave the
database for another run), ``--reuse URL`` (search an already loaded database, skip the load),
``--profile`` (instead of measuring: the exact lookups called in this process through the service's
WSGI app, no sockets, at each access level: CPU ms per lookup without and then under cProfile, and
the top functions; best with ``--reuse``), ``--sample SECONDS`` (instead of measuring: the exact
lookups of a level 2 user alone for SECONDS, then the no-op request alone as long, through the server
under gunicorn while py-spy samples its worker (bench/sampling.py); prints the sampled ms per request
under each frame of both, and what the lookup has beyond the no-op; best with ``--reuse``).

What one run does:
  1. load     a throwaway database (``caredesk_bench_<hex>``), migrated with the service's own
              migrations, gets N customers with realistic Spanish (CO, MX, CR), Vietnamese and
              Russian names with their accents, mobile and landline phones, e-mails, tax numbers
              and codes, and their search keys, exactly as the model computes them. COPY, with the
              secondary indexes dropped during the load and rebuilt after it; then VACUUM ANALYZE.
              The load time printed is from the first generated row to the end of ANALYZE.
  2. ours     ``caredesk serve customers`` (gunicorn, gthread worker, as deployed) in a child
              process; this process sends ``GET /api/v1/customers/search?q=...`` one at a time over a
              kept-alive connection with a real signed token, for four kinds of input typed into the
              one search box: a partial accent-free name, a phone typed in its local format, a code
              and a tax number; as a level 1 (company) and a level 2 (branch) user.
  3. floor    for every request, the same SQL statement (built by ``queries.search_statement`` and
              rendered for psycopg) is executed directly with psycopg on one connection and fetched.
              API and floor alternate on each query, so neither warms the cache for the other.
  4. explain  EXPLAIN (ANALYZE, BUFFERS) of one query of each kind: the plan must use indexes only.
The goals: API p95 <= 2x the SQL's p95 for the name search; for exact lookups (phone, code, tax number)
API p95 <= 1.5x the floor of an API lookup, its SQL plus a no-op request (GET /healthz) through the
same server and connection, both measured beside every query (issue 16). Rows of both access levels
are measured in turns (5 rounds), so a change of the machine's load cannot make one level look slower.
"""
from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import phonenumbers
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.auth.keys import ensure_key_pair  # noqa: E402
from gateway.auth.tokens import TokenIssuer  # noqa: E402
from services.customers import MIGRATIONS  # noqa: E402
from services.customers.normalisation import code_key, email_key, fold, search_name, tax_key  # noqa: E402
from services.customers.queries import search_query  # noqa: E402
from services.kit import migrations  # noqa: E402
from services.kit.auth import Principal  # noqa: E402

import sampling  # noqa: E402  (bench/sampling.py, beside this file)

GOAL = 2.0
GOAL_EXACT = 1.5  # exact lookups (phone, code, tax number): against their SQL + a no-op request
CHUNKS = 5
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BRANCHES = [uuid.UUID(int=0xB000 + n) for n in range(20)]
DEPARTMENTS = [uuid.UUID(int=0xD000 + n) for n in range(60)]
AGENTS = [uuid.UUID(int=0xA000 + n) for n in range(500)]

# -- realistic names ----------------------------------------------------------------------------
ES_MALE = ("José", "Juan", "Luis", "Carlos", "Jorge", "Andrés", "Miguel", "Julián", "Sebastián", "Nicolás", "Iván",
           "Martín", "Óscar", "Héctor", "Rubén", "Raúl", "Víctor", "Jesús", "Ramón", "Fabián", "Germán", "Tomás",
           "Álvaro", "Joaquín", "Adrián", "Simón", "Efraín", "Hernán", "Cristian", "Mauricio", "Alejandro", "Diego")
ES_FEMALE = ("María", "Ana", "Lucía", "Sofía", "Valentina", "Camila", "Daniela", "Mónica", "Verónica", "Inés",
             "Beatriz", "Rocío", "Ángela", "Natalia", "Mariana", "Paola", "Andrea", "Carolina", "Mercedes",
             "Dolores", "Raquel", "Yolanda", "Gabriela", "Isabel", "Patricia", "Leticia", "Concepción", "Belén")
ES_SURNAMES = ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
               "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
               "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano",
               "Blanco", "Suárez", "Molina", "Morales", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín",
               "Sanz", "Núñez", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo", "Santos", "Lozano", "Guerrero",
               "Cano", "Prieto", "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León", "Márquez", "Herrera", "Peña",
               "Flores", "Cabrera", "Campos", "Vega", "Fuentes", "Carrasco", "Díez", "Caballero", "Reyes", "Nieto",
               "Aguilar", "Pascual", "Santana", "Herrero", "Lorenzo", "Montero", "Hidalgo", "Giménez", "Ibáñez",
               "Ferrer", "Durán", "Santiago", "Benítez", "Mora", "Vicente", "Vargas", "Arias", "Carmona", "Crespo",
               "Román", "Pastor", "Soto", "Sáez", "Velasco", "Moya", "Soler", "Parra", "Esteban", "Bravo", "Gallardo",
               "Rojas", "Cárdenas", "Ordóñez", "Castaño", "Quiñones", "Zúñiga", "Solís", "Saldaña", "Echeverría")
VN_FAMILY = (("Nguyễn", 38), ("Trần", 11), ("Lê", 9.5), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4.5),
             ("Vũ", 3.9), ("Võ", 3), ("Đặng", 2.1), ("Bùi", 2), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3),
             ("Dương", 1), ("Lý", 0.5), ("Đinh", 1), ("Trương", 1), ("Lâm", 0.8), ("Mai", 0.8))
VN_MIDDLE_MALE = ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Hoàng", "Gia", "Anh", "Xuân", "Công", "Trọng")
VN_MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Thùy", "Kim", "Hồng", "Mỹ", "Bích", "Phương", "Diệu")
VN_GIVEN = ("An", "Anh", "Bảo", "Bình", "Châu", "Chi", "Cường", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu",
            "Hòa", "Hoa", "Hùng", "Hương", "Huy", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "My", "Nam",
            "Nga", "Ngọc", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng",
            "Thành", "Thủy", "Tiến", "Trang", "Trung", "Tuấn", "Tùng", "Vân", "Việt", "Vy", "Yến", "Đạt", "Đông",
            "Hằng", "Hiền", "Huệ", "Lộc", "Lợi", "Nhân", "Oanh", "Phát", "Quỳnh", "Tài", "Thịnh", "Trí", "Uyên")
RU_SURNAMES = ("Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
               "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
               "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
               "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
               "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин",
               "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов",
               "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
               "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов",
               "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
               "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв", "Быков",
               "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев")
RU_MALE = ("Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил",
           "Никита", "Матвей", "Роман", "Егор", "Арсений", "Иван", "Денис", "Евгений", "Даниил", "Тимофей",
           "Владислав", "Игорь", "Владимир", "Павел", "Руслан", "Марк", "Константин", "Тимур", "Олег", "Ярослав",
           "Антон", "Николай", "Глеб", "Степан", "Юрий", "Богдан", "Семён", "Лев", "Виктор", "Фёдор", "Григорий")
RU_FEMALE = ("Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Марина", "Полина", "София",
             "Дарья", "Алиса", "Ксения", "Александра", "Елена", "Ольга", "Ирина", "Юлия", "Татьяна", "Светлана",
             "Алёна", "Вероника", "Арина", "Валерия", "Кристина", "Людмила", "Надежда", "Галина", "Любовь", "Яна")
RU_FATHERS = ("Александров", "Сергеев", "Иванов", "Петров", "Дмитриев", "Андреев", "Алексеев", "Николаев",
              "Владимиров", "Михайлов", "Юрьев", "Викторов", "Олегов", "Евгеньев", "Игорев", "Фёдоров", "Павлов",
              "Васильев", "Анатольев", "Борисов", "Григорьев", "Романов")
COMPANY_WORDS = {
    "es": (("Distribuidora", "Comercializadora", "Inversiones", "Constructora", "Transportes", "Servicios",
            "Soluciones", "Agropecuaria", "Ferretería", "Droguería", "Panadería", "Importadora"),
           ("Andina", "del Pacífico", "del Caribe", "La Esperanza", "San José", "El Águila", "Los Ángeles",
            "Santa Lucía", "Nueva Época", "Hermanos Gómez", "Del Valle", "La Montaña", "Aurora", "Cóndor")),
    "vi": (("Công ty TNHH", "Công ty Cổ phần", "Doanh nghiệp Tư nhân"),
           ("Thương mại Hòa Bình", "Xây dựng Sài Gòn", "Vận tải Đông Á", "Dịch vụ Việt Tiến", "Thực phẩm Phú Quốc",
            "Điện tử Hà Nội", "Du lịch Hạ Long", "May mặc Thành Công", "Nông sản Mê Kông", "Kỹ thuật Đại Việt")),
    "ru": (("ООО", "АО", "ИП", "ЗАО"),
           ("«Северный ветер»", "«Техносервис»", "«Волга-Логистик»", "«Ромашка»", "«Стройинвест»", "«Уральские сети»",
            "«Сибирский лес»", "«Меридиан»", "«Альфа-Трейд»", "«Ёлочка»", "«Байкал»", "«Московский хлеб»")),
}
EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "mail.ru", "yandex.ru", "une.net.co",
                 "prodigy.net.mx", "racsa.co.cr", "vnpt.vn", "fpt.vn")

# country -> share, (mobile prefixes, national length), (landline prefixes, national length), language
COUNTRIES = {
    "CO": (0.14, (("300", "301", "310", "311", "312", "313", "315", "316", "317", "318", "320", "321", "350"), 10),
           (("601", "604", "602", "605"), 10), "es"),
    "MX": (0.12, (("55", "33", "81", "222", "442", "998"), 10), (("55", "33", "81"), 10), "es"),
    "CR": (0.07, (("83", "84", "85", "86", "87", "88", "89", "70", "71", "72", "73", "60", "61", "62"), 8),
           (("22", "24", "25", "26", "27"), 8), "es"),
    "VN": (0.34, (("90", "91", "93", "94", "96", "97", "98", "86", "88", "32", "35", "70", "77", "83"), 9),
           (("28", "236", "292", "251", "274"), 10), "vi"),
    "RU": (0.33, (("903", "905", "909", "912", "915", "916", "925", "926", "977", "985", "999"), 10),
           (("495", "499", "812", "343"), 10), "ru"),
}
COUNTRY_CODES = {"CO": "57", "MX": "52", "CR": "506", "VN": "84", "RU": "7"}
REGIONS = {"CO": ("Bogotá D.C.", "Antioquia", "Valle del Cauca", "Atlántico"), "MX": ("CDMX", "Jalisco", "Nuevo León"),
           "CR": ("San José", "Alajuela", "Heredia"), "VN": ("Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Cần Thơ"),
           "RU": ("Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск")}


def _weighted(rng: random.Random, items):
    return rng.choices([name for name, _ in items], weights=[w for _, w in items])[0]


def person_name(rng: random.Random, language: str) -> str:
    female = rng.random() < 0.5
    if language == "es":
        names = ES_FEMALE if female else ES_MALE
        given = " ".join(rng.sample(names, 2 if rng.random() < 0.35 else 1))
        return f"{given} {rng.choice(ES_SURNAMES)} {rng.choice(ES_SURNAMES)}"
    if language == "vi":
        middle = rng.choice(VN_MIDDLE_FEMALE if female else VN_MIDDLE_MALE)
        return f"{_weighted(rng, VN_FAMILY)} {middle} {rng.choice(VN_GIVEN)}"
    surname = rng.choice(RU_SURNAMES) + ("а" if female else "")
    father = rng.choice(RU_FATHERS)
    patronymic = father.removesuffix("ев").removesuffix("ов") + (
        ("евна" if father.endswith("ев") else "овна") if female else ("евич" if father.endswith("ев") else "ович"))
    return f"{surname} {rng.choice(RU_FEMALE if female else RU_MALE)} {patronymic}"


def company_name(rng: random.Random, language: str, country: str) -> str:
    kinds, words = COMPANY_WORDS[language]
    if language == "es":
        suffix = {"CO": "S.A.S.", "MX": "S.A. de C.V.", "CR": "S.R.L."}[country]
        return f"{rng.choice(kinds)} {rng.choice(words)} {suffix}"
    return f"{rng.choice(kinds)} {rng.choice(words)}"


def tax_number(country: str, i: int, rng: random.Random) -> str:
    """Unique per country for i < 10**7, in each country's usual shape."""
    scrambled = (i * 7_919 + 12_345) % 10_000_000
    if country == "CO":
        return f"{10 + scrambled // 100_000}.{scrambled // 100 % 1000:03d}.{scrambled % 100:02d}{rng.randint(0, 9)}"
    if country == "MX":
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(4))
        return f"{letters}{scrambled:07d}{rng.choice('ABCDEFGH0123456789')}{rng.randint(0, 9)}"
    if country == "CR":
        return f"{1 + scrambled % 7}-{scrambled // 1000 % 10000:04d}-{scrambled % 1000:03d}{rng.randint(0, 9)}"
    if country == "VN":
        return f"079{rng.randint(0, 3)}{scrambled:08d}"
    return f"77{scrambled:08d}{rng.randint(10, 99)}"


def phone_number(country: str, plan: tuple[tuple[str, ...], int], i: int, salt: int) -> tuple[str, str]:
    """(E.164, national significant number); unique per (country, plan, salt) while the subscriber part
    (5 digits and more) does not wrap, nearly unique beyond."""
    prefixes, length = plan
    prefix = prefixes[i % len(prefixes)]
    width = length - len(prefix)
    # subscriber numbers start with 2-9 (0 and 1 are trunk and service prefixes in these plans)
    national = f"{prefix}{2 + (i + salt) % 8}{(i * 104_729 + salt) % 10 ** (width - 1):0{width - 1}d}"
    return f"+{COUNTRY_CODES[country]}{national}", national


def check_phone_plans() -> None:
    """Every generated number must be one the service itself would accept."""
    for country, (_share, mobiles, landlines, _language) in COUNTRIES.items():
        for plan in (mobiles, landlines):
            for i in range(0, 1_000_000, 3_001):
                e164, _national = phone_number(country, plan, i, 17)
                if not phonenumbers.is_valid_number(phonenumbers.parse(e164)):
                    raise SystemExit(f"bench data error: {e164} is not a valid {country} number")


@dataclass
class Generated:
    customers: int = 0
    terms: int = 0
    samples: dict = field(default_factory=lambda: {"name": [], "phone": [], "code": [], "tax_number": []})


def generate(n: int, seed: int, sink_customers, sink_terms, stats: Generated) -> None:
    """N customers and their search keys as COPY rows, written to the two sinks as they are made."""
    rng = random.Random(seed)
    countries = list(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in countries]
    now = datetime.now(timezone.utc).isoformat()
    for i in range(n):
        country = rng.choices(countries, weights)[0]
        _share, mobiles, landlines, language = COUNTRIES[country]
        company = rng.random() < 0.05
        name = company_name(rng, language, country) if company else person_name(rng, language)
        customer_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        code = f"C-{i:07d}"
        tax = tax_number(country, i, rng)
        mobile, mobile_national = phone_number(country, mobiles, i, 17)
        landline = phone_number(country, landlines, i, 91) if rng.random() < 0.5 else None
        folded = fold(name).split()
        email = (f"{'.'.join(folded[:2])}{i % 1000}@{rng.choice(EMAIL_DOMAINS)}"
                 if rng.random() < 0.6 and folded and folded[0].isascii() else None)
        branch = BRANCHES[i % len(BRANCHES)]
        department = DEPARTMENTS[i % len(DEPARTMENTS)]
        salesperson = AGENTS[rng.randrange(len(AGENTS))]
        sink_customers((
            str(customer_id), code, "company" if company else "person", name, search_name(name), "active", country,
            tax, tax_key(tax), rng.choice(REGIONS[country]), language, "", landline[0] if landline else None,
            mobile, email, "", "[]", str(branch), str(department), str(salesperson),
            str(AGENTS[rng.randrange(200)]), None, str(salesperson), 1, now, now))
        keys = {("code", code_key(code)), ("tax_number", tax_key(tax)),
                ("phone", mobile.lstrip("+")), ("phone", mobile_national)}
        if landline:
            keys.update({("phone", landline[0].lstrip("+")), ("phone", landline[1])})
        if email:
            keys.add(("email", email_key(email)))
        for kind, term in keys:
            sink_terms((term, kind, str(customer_id)))
        stats.customers += 1
        stats.terms += len(keys)
        if i % 97 == 0:  # sample queries from across the table, with where they belong
            stats.samples["name"].append((branch, name))
            stats.samples["code"].append((branch, code.lower()))
            stats.samples["tax_number"].append((branch, tax))
            local = phonenumbers.format_number(phonenumbers.parse(mobile), phonenumbers.PhoneNumberFormat.NATIONAL)
            stats.samples["phone"].append((branch, local))


def partial_name(name: str) -> str:
    """What an agent types for a name: up to three words, accents off, the longer ones cut short."""
    words = fold(name).split()[:3]
    return " ".join(w if len(w) <= 3 else w[:max(3, len(w) - 2)] for w in words)


# -- the database -------------------------------------------------------------------------------
def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@contextmanager
def throwaway_database(admin_url: str, *, keep: bool, prefix: str | None = None):
    prefix = prefix or os.environ.get("CAREDESK_BENCH_DB_PREFIX", "caredesk_bench")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with closing(psycopg.connect(admin_url, autocommit=True)) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        if keep:
            print(f"kept the database: {_with_database(admin_url, name)}")
        else:
            with closing(psycopg.connect(admin_url, autocommit=True)) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"dropped the database {name}")


CUSTOMER_COLUMNS = ("id", "code", "kind", "name", "search_name", "status", "country", "tax_number", "tax_key",
                    "region", "language", "address", "phone", "phone2", "email", "description", "campaigns",
                    "branch_id", "department_id", "salesperson_id", "preferred_sales_agent_id",
                    "collections_agent_id", "created_by", "version", "created_at", "updated_at")
TABLES = ("customers", "customer_search_terms")


def load(url: str, n: int, seed: int) -> tuple[Generated, dict]:
    """COPY n customers and their keys, with secondary indexes rebuilt afterwards; timings per phase."""
    stats, timings = Generated(), {}
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", (list(TABLES),)).fetchall()
        for index_name, _definition in indexes:
            conn.execute(f'DROP INDEX "{index_name}"')
        started = time.perf_counter()
        # Two connections stream the two COPYs side by side while this process generates the rows.
        with closing(psycopg.connect(url)) as keys_conn:
            for connection in (conn, keys_conn):
                # The keys reference customers loaded in the other transaction: no per-row FK checks.
                connection.execute("SET session_replication_role = replica")
            with conn.transaction(), conn.cursor() as customers_cur, keys_conn.cursor() as keys_cur:
                with customers_cur.copy(f"COPY customers ({', '.join(CUSTOMER_COLUMNS)}) FROM STDIN") as c_copy, \
                        keys_cur.copy("COPY customer_search_terms (term, kind, customer_id) FROM STDIN") as k_copy:
                    generate(n, seed, c_copy.write_row, k_copy.write_row, stats)
            keys_conn.commit()
        timings["generate + COPY"] = time.perf_counter() - started
        step = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for _index_name, definition in indexes:
            conn.execute(definition)
        timings["rebuild indexes"] = time.perf_counter() - step
        step = time.perf_counter()
        conn.execute("VACUUM ANALYZE customers")
        conn.execute("VACUUM ANALYZE customer_search_terms")
        timings["VACUUM ANALYZE"] = time.perf_counter() - step
        timings["total"] = time.perf_counter() - started
    return stats, timings


# -- the service under gunicorn ----------------------------------------------------------------
@contextmanager
def serve(url: str, folder: Path, public_key: Path, port: int):
    env = dict(os.environ, CAREDESK_CUSTOMERS_DATABASE_URL=url, CAREDESK_BROKER_URL="memory://",
               CAREDESK_DATA_DIR=str(folder), CAREDESK_JWT_PUBLIC_KEY_FILE=str(public_key), PYTHONUNBUFFERED="1")
    log = open(folder / "customers.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "caredesk.cli", "serve", "customers", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with closing(http.client.HTTPConnection("127.0.0.1", port, timeout=2)) as probe:
                    probe.request("GET", "/healthz")
                    if probe.getresponse().status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the customers service did not start; see {folder / 'customers.log'}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


class Api:
    """One kept-alive HTTP connection, as a telephony or console client would hold."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.headers = port, {"Authorization": f"Bearer {token}"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def search(self, q: str) -> tuple[float, dict]:
        path = "/api/v1/customers/search?" + urlencode({"q": q})
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                self.connection.close()  # the server closed an idle keep-alive connection: reconnect
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError(f"search {q!r} -> {response.status}: {body[:300]!r}")
        return elapsed, json.loads(body)

    def healthz(self) -> float:
        """The same HTTP stack with no token, no query and no database: what any request costs."""
        started = time.perf_counter()
        self.connection.request("GET", "/healthz")
        self.connection.getresponse().read()
        return time.perf_counter() - started


class Floor:
    """The statement our search builds, rendered for psycopg and run on one connection."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.dialects.postgresql.psycopg import dialect

        self.dialect = dialect()
        self.connection = psycopg.connect(url, autocommit=True)

    def sql(self, principal: Principal, q: str) -> tuple[str, dict]:
        """The SQL text and parameters SQLAlchemy hands psycopg for this search (same compiler)."""
        statement, params = search_query(principal, q=q)
        expanded = statement.compile(dialect=self.dialect).construct_expanded_state(params)
        return expanded.statement, expanded.parameters

    def search(self, principal: Principal, q: str) -> tuple[float, list]:
        sql, params = self.sql(principal, q)  # built outside the clock: the floor is the database's work
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return time.perf_counter() - started, rows

    def explain(self, principal: Principal, q: str) -> str:
        sql, params = self.sql(principal, q)
        with self.connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(api: Api, floor: Floor, principal: Principal, queries: list[str], warmup: int) -> dict:
    """Our search, its SQL on psycopg and a no-op request (GET /healthz on the same server and
    connection), one after the other for every query (the order turns each time, so that none warms
    the cache for another)."""
    for q in queries[:warmup]:
        api.search(q)
        floor.search(principal, q)
        api.healthz()
    ours, base, noop, found_rows = [], [], [], []
    for index, q in enumerate(queries[warmup:]):
        steps = [lambda: ours.append(api.search(q)[0]), lambda: noop.append(api.healthz()),
                 lambda: (base.append((result := floor.search(principal, q))[0]), found_rows.append(len(result[1])))]
        for step in steps[index % 3:] + steps[:index % 3]:
            step()
    return {"ours": ours, "floor": base, "noop": noop, "rows": found_rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="per search kind and access level")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", help="URL of a database a previous --keep run loaded (skips the load)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CAREDESK_BENCH_PORT_BASE", "18401")),
                        help="the customers API's port (default: CAREDESK_BENCH_PORT_BASE, else 18401)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the exact lookups in this process (cProfile, CPU time) instead of measuring")
    parser.add_argument("--sample", type=int, metavar="SECONDS",
                        help="sample the server's worker with py-spy: exact lookups, then no-op requests, SECONDS each")
    args = parser.parse_args()
    admin_url = os.environ.get("CAREDESK_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        folder = Path(tmp)
        private, public = folder / "gateway.pem", folder / "gateway.pub"
        ensure_key_pair(private, public)
        issuer = TokenIssuer.from_file(private, lifetime_seconds=3600)
        database = throwaway_database(admin_url, keep=args.keep) if not args.reuse else _reused(args.reuse)
        with database as url:
            if args.reuse:
                stats = Generated()
                generate(args.customers, args.seed, lambda row: None, lambda row: None, stats)
                print(f"reusing {url}: no load")
            else:
                migrations.upgrade(MIGRATIONS, url)
                print(f"loading {args.customers:,} customers into {urlsplit(url).path[1:]} …", flush=True)
                stats, timings = load(url, args.customers, args.seed)
                print(f"loaded {stats.customers:,} customers and {stats.terms:,} search keys in "
                      f"{timings['total']:.1f} s  (" + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()
                                                                 if k != "total") + ")")
            if args.profile:
                profile_in_process(url, folder, public, stats, issuer, args.requests)
                return 0
            with serve(url, folder, public, args.port) as server:
                if args.sample:
                    sample_lookups(args.port, sampling.worker_of(server.pid), folder, stats, issuer, args.sample)
                else:
                    report(args, url, stats, issuer)
    return 0


@contextmanager
def _reused(url: str):
    yield url


def profile_in_process(url: str, folder: Path, public_key: Path, stats: Generated, issuer: TokenIssuer,
                       count: int) -> None:
    """The exact lookups (phone, code, tax number) through the customers app in this process (Flask's
    test client: WSGI, no sockets, so the figures include the client's share): per access level, CPU
    ms per lookup with no profiler (``time.process_time``), then ``count`` lookups of each kind under
    cProfile (CPU clock, not the waits) and the functions that cost most."""
    os.environ.update(CAREDESK_CUSTOMERS_DATABASE_URL=url, CAREDESK_BROKER_URL="memory://",
                      CAREDESK_DATA_DIR=str(folder), CAREDESK_JWT_PUBLIC_KEY_FILE=str(public_key))
    import logging

    import services.customers as customers_app

    app = customers_app.create_app()
    for handler in logging.getLogger().handlers:  # the JSON log lines are written (their cost counts), unseen
        handler.setStream(open(os.devnull, "w"))
    client = app.test_client()
    kinds = {"phone": "phone", "code": "code", "tax number": "tax_number"}
    for level in (1, 2):
        principal = Principal(user_id=uuid.uuid4(), username=f"bench.level{level}", level=level,
                              branch_id=BRANCHES[0], department_id=DEPARTMENTS[0])
        headers = {"Authorization": f"Bearer {issuer.issue(principal)[0]}"}
        queries = {kind: [q for branch, q in stats.samples[key] if level == 1 or branch == BRANCHES[0]]
                   for kind, key in kinds.items()}

        def lookups(kind: str, n: int) -> None:
            pool = queries[kind]
            for index in range(n):
                answer = client.get("/api/v1/customers/search", query_string={"q": pool[index % len(pool)]},
                                    headers=headers)
                assert answer.status_code == 200 and answer.json["total"] >= 1, answer.data[:300]
                answer.close()

        for kind in kinds:
            lookups(kind, 50)  # warm: connections, statement caches, phonenumbers' metadata
        plain = {}
        for kind in kinds:
            started = time.process_time()
            lookups(kind, count)
            plain[kind] = (time.process_time() - started) / count * 1000
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        profiler.enable()
        for kind in kinds:
            lookups(kind, count)
        profiler.disable()
        profiled = (time.process_time() - started) / (count * len(kinds)) * 1000
        print(f"===== level {level}: CPU ms per lookup in process (test client included), no profiler: "
              + ", ".join(f"{kind} {ms:.2f}" for kind, ms in plain.items())
              + f"; under cProfile {profiled:.2f} (all kinds) =====")
        for order, lines in (("cumulative", 60), ("tottime", 35)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(lines)
            print(out.getvalue())


def sample_lookups(port: int, worker: int, folder: Path, stats: Generated, issuer: TokenIssuer,
                   seconds: int) -> None:
    """A level 2 user's exact lookups (phones, codes and tax numbers of the branch, in turn) one at a
    time for ``seconds``, then the no-op request as long, while py-spy samples the worker."""
    principal = Principal(user_id=uuid.uuid4(), username="bench.branch", level=2, branch_id=BRANCHES[0],
                          department_id=DEPARTMENTS[0])
    api = Api(port, issuer.issue(principal)[0])
    lookups = [q for key in ("phone", "code", "tax_number") for branch, q in stats.samples[key] if branch == BRANCHES[0]]
    random.Random(5).shuffle(lookups)
    for q in lookups[:200]:  # warm: connections, statement caches, phonenumbers' metadata
        api.search(q)
        api.healthz()
    columns = {}
    for label, one_request in (("lookup", lambda n: api.search(lookups[n % len(lookups)])), ("no-op", lambda n: api.healthz())):
        recording, answered = sampling.Recording(worker, seconds, folder / f"{label}.txt"), 0
        while recording.running:
            one_request(answered)
            answered += 1
        columns[label] = (recording.finish(), answered)
    api.connection.close()
    print(f"\nmachine load average (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"one client, keep-alive; {columns['lookup'][1]:,} exact lookups and {columns['no-op'][1]:,} no-op requests "
          f"in {seconds} s each; the worker sampled by py-spy")
    sampling.print_table(columns)


def report(args, url: str, stats: Generated, issuer: TokenIssuer) -> None:
    company = Principal(user_id=uuid.uuid4(), username="bench.company", level=1, branch_id=BRANCHES[0],
                        department_id=DEPARTMENTS[0])
    branch = Principal(user_id=uuid.uuid4(), username="bench.branch", level=2, branch_id=BRANCHES[0],
                       department_id=DEPARTMENTS[0])
    floor = Floor(url)
    rng = random.Random(args.seed + 1)
    inputs = {
        "partial name": [partial_name(name) for _branch, name in stats.samples["name"]],
        "phone, local format": [q for _branch, q in stats.samples["phone"]],
        "code": [q for _branch, q in stats.samples["code"]],
        "tax number": [q for _branch, q in stats.samples["tax_number"]],
    }
    in_branch = {kind: [q for (b, _), q in zip(stats.samples[key], inputs[kind], strict=True) if b == BRANCHES[0]]
                 for kind, key in (("partial name", "name"), ("phone, local format", "phone"), ("code", "code"),
                                   ("tax number", "tax_number"))}
    print(f"\nmachine load average (1/5/15 min) at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    print("server: caredesk serve customers (gunicorn, 1 worker, gthread, 8 threads), one client, keep-alive; "
          f"{args.requests} requests per row after {args.warmup} warm-up, in {CHUNKS} rounds that visit every row in "
          "turn (so a change of the machine's load falls on both access levels alike)")
    apis = {principal.level: Api(args.port, issuer.issue(principal)[0]) for principal in (company, branch)}
    collected: dict = {}
    per_chunk = max(1, args.requests // CHUNKS)
    for chunk in range(CHUNKS):
        for kind, pool in inputs.items():
            for principal in (company, branch):
                source = pool if principal.level == 1 else in_branch[kind]
                queries = [rng.choice(source) for _ in range(per_chunk + (args.warmup if chunk == 0 else 0))]
                result = measure(apis[principal.level], floor, principal, queries, args.warmup if chunk == 0 else 0)
                row = collected.setdefault((kind, principal.level), {"ours": [], "floor": [], "noop": [], "rows": []})
                for key in row:
                    row[key].extend(result[key])
    for api in apis.values():
        api.connection.close()
    print(f"{'search':<22}{'user':<9}{'hits':>5}{'API p50':>9}{'API p95':>9}{'SQL p50':>9}{'SQL p95':>9}"
          f"{'no-op p95':>10}{'floor p95':>10}{'ratio':>7}  goal{'':<12}{'floor p50':>10}{'p50 ratio':>10}")
    worst = {"name": 0.0, "exact": 0.0}
    for (kind, level), result in collected.items():
        ours, sql = [t * 1000 for t in result["ours"]], [t * 1000 for t in result["floor"]]
        noop = [t * 1000 for t in result["noop"]]
        # the floor of an exact lookup: its SQL and a request through the same stack, query by query
        stack_floor = [a + b for a, b in zip(sql, noop)]
        if kind == "partial name":
            ratio, goal, family = percentile(ours, 95) / percentile(sql, 95), GOAL, "name"
            floor_p95, floor_p50 = percentile(sql, 95), percentile(sql, 50)
        else:
            floor_p95, floor_p50 = percentile(stack_floor, 95), percentile(stack_floor, 50)
            ratio, goal, family = percentile(ours, 95) / floor_p95, GOAL_EXACT, "exact"
        worst[family] = max(worst[family], ratio)
        print(f"{kind:<22}{'level ' + str(level):<9}{statistics.mean(result['rows']):>5.1f}"
              f"{percentile(ours, 50):>9.2f}{percentile(ours, 95):>9.2f}{percentile(sql, 50):>9.2f}"
              f"{percentile(sql, 95):>9.2f}{percentile(noop, 95):>10.2f}{floor_p95:>10.2f}{ratio:>7.2f}  "
              f"{'<=' if ratio <= goal else '> '} {goal:g} {'ok' if ratio <= goal else 'MISSED':<8}"
              f"{floor_p50:>10.2f}{percentile(ours, 50) / floor_p50:>10.2f}", flush=True)
    print("times in ms; floor: SQL for the name search (goal API p95 <= 2x), SQL + the no-op request measured beside "
          "it for exact lookups (goal API p95 <= 1.5x); no-op: GET /healthz on the same server and connection "
          "(gunicorn, Flask, the kit's logging and metrics; no token, no database); p50 ratio: the same at the median "
          "(API p50 / floor p50), less at the mercy of the machine's other load than p95")
    print(f"worst p95 ratio: names {worst['name']:.2f}x (goal <= {GOAL:g}x), exact lookups {worst['exact']:.2f}x "
          f"(goal <= {GOAL_EXACT:g}x)")
    print(f"machine load average (1/5/15 min) at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")

    print("\nEXPLAIN (ANALYZE, BUFFERS) of one query per kind, level 2 user (branch filter in the WHERE clause):")
    for kind, pool in in_branch.items():
        q = pool[len(pool) // 2]
        plan = floor.explain(branch, q)
        scans = sorted(set(re.findall(r"((?:Bitmap Index|Index Only|Index|Seq) Scan)(?: using| on) (\w+)", plan)))
        seq = [name for scan, name in scans if scan == "Seq Scan"]
        execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
        print(f"- {kind} ({q!r}): {'NO Seq Scan' if not seq else 'Seq Scan on ' + ', '.join(seq)}; "
              f"execution {execution.group(1) if execution else '?'} ms; "
              + "; ".join(f"{scan} {name}" for scan, name in scans))
        for line in plan.splitlines():
            if re.search(r"Scan|Join|Sort|Limit|WindowAgg|Aggregate|Execution", line):
                print("      " + line.rstrip())
    floor.connection.close()


if __name__ == "__main__":
    sys.exit(main())
