from django import forms

from .models import Campaign


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name", "code", "district_name", "document_no", "start", "survey_deadline", "work_plan_deadline",
            "rectification_start_deadline", "rectification_months", "horizon_months", "target_reclaimed_mu",
            "target_floor_area_m2", "annual_acquisition_mu", "annual_lease_m2", "district_list_min_mu",
            "township_list_min_mu", "notes",
        ]
        widgets = {
            "start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "survey_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "work_plan_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "rectification_start_deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
