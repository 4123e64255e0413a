from django.db import migrations

# French full-text search without accents: the french stemmer applied after unaccent.
CREATE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'maillage_fr') THEN
        CREATE TEXT SEARCH CONFIGURATION maillage_fr (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION maillage_fr
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial"), ("core", "0001_extensions")]
    operations = [migrations.RunSQL(CREATE, "DROP TEXT SEARCH CONFIGURATION IF EXISTS maillage_fr;")]
