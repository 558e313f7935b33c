from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "civicgrid.taxonomy"
    label = "taxonomy"
    verbose_name = "分类与派遣规则 Taxonomy and routing"
